#pragma once
// Sign with a learnable per-channel threshold (RSign, Liu, Shen, Savvides and
// Cheng 2020, "ReActNet: Towards Precise Binary Neural Network with
// Generalized Activation Functions"):
//   y     = sign(x - b_c), levels -1 and +1, sign(0) = +1; c the index along dim 1
//   dy/dx = 2 - 2 |x - b_c| for |x - b_c| < 1, 0 elsewhere (Bi-Real Net's
//           piecewise-polynomial approximation of sign's derivative, as ReActNet)
//   dy/db = -dy/dx, summed over every dim but 1
//
// Composed LibTorch ops inside one autograd function (no fused kernel yet), so
// it runs on any device LibTorch does. Inputs: float32 x with dim >= 2 and
// x.size(1) == b.numel(), b float32 [C] on x's device. Returns a new tensor of
// x's shape. Throws c10::Error (TORCH_CHECK) on wrong arguments.
#include <torch/types.h>

namespace quantlib::ops {

torch::Tensor rsign(const torch::Tensor& x, const torch::Tensor& threshold);

}  // namespace quantlib::ops

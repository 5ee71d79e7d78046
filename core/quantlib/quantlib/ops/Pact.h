#pragma once
// PACT, fused: Choi, Wang, Venkataramani, Chuang, Srinivasan and Gopalakrishnan
// 2018, "PACT: Parameterized Clipping Activation for Quantized Neural Networks".
//
// With a learned clipping bound alpha and k bits:
//   unsigned  y = clamp(x, 0, alpha)          (the paper's 0.5(|x| - |x - alpha| + alpha))
//             levels j * alpha / (2^k - 1),      j = 0 .. 2^k - 1
//   signed    y = clamp(x, -alpha, alpha)       (the symmetric extension)
//             levels j * alpha / (2^(k-1) - 1),  |j| <= 2^(k-1) - 1
//   y_q = Q(y / D) * D with D = alpha / (number of steps above zero)   (paper eq. 2)
//         Q is round (half to even) or floor; an input at or beyond a clip bound
//         gives the extreme level exactly
//   dy_q/dx     = 1 for x in [low, alpha), 0 elsewhere (STE through Q)
//   dy_q/dalpha = 1 for x >= alpha (paper eq. 3), -1 for x < -alpha (signed), 0 elsewhere;
//                 the dependence of D on alpha is ignored, as in the paper
// The clip range [low, alpha) is half-open as in the paper: an input equal to alpha
// sends its gradient to alpha, not to x.
//
// x: float32 CPU or CUDA tensor of any shape, contiguous or not; alpha: a one-element
// float32 tensor, positive, usually requiring grad. Returns a new contiguous tensor
// of x's shape; alpha's gradient has alpha's shape. bits >= 1 (unsigned) or >= 2
// (signed), at most 24. Throws c10::Error (TORCH_CHECK) on wrong arguments.
#include <cstdint>

#include <torch/types.h>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::ops {

torch::Tensor pact(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits,
                   Signedness signedness, Rounding rounding = Rounding::Nearest);

}  // namespace quantlib::ops

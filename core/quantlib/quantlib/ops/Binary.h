#pragma once
// Binary quantizers, fused.
//
// Weights, as XNOR-Net (Rastegari, Ordonez, Redmon and Farhadi 2016, "XNOR-Net:
// ImageNet Classification Using Binary Convolutional Neural Networks"):
//   y     = sign(w) * a,   a = mean |w| over each output channel (slice along
//           dim 0) or over the whole tensor; sign(0) = +1
//   dy/dw = 1 for |w| <= 1, 0 elsewhere (the straight-through estimator clipped as
//           hardtanh's derivative; a's own dependence on w is ignored)
//   a is the exact mean rounded once to float32.
// Activations, as BinaryNet (Hubara, Courbariaux, Soudry, El-Yaniv and Bengio 2016):
//   y     = sign(x), levels -1 and +1, sign(0) = +1
//   dy/dx = 1 for |x| <= 1, 0 elsewhere
//
// Inputs: float32 CPU or CUDA tensors of any shape, contiguous or not; per_channel needs
// dim >= 1. Return new contiguous tensors of the input's shape. Throws c10::Error
// (TORCH_CHECK) on wrong arguments.
#include <torch/types.h>

namespace quantlib::ops {

torch::Tensor binary_weights(const torch::Tensor& w, bool per_channel);
torch::Tensor binary_activations(const torch::Tensor& x);

// The scales a binary_weights uses: shape {w.size(0)} per channel, {1} per tensor
// (0 for an empty channel). No gradient.
torch::Tensor binary_weight_scales(const torch::Tensor& w, bool per_channel);

}  // namespace quantlib::ops

#pragma once
// Ternary quantizers, fused.
//
// Weights, as Ternary Weight Networks (Li and Liu 2016, "Ternary Weight Networks";
// the paper's approximate solution):
//   delta = t * mean |w|                      t = 0.7 by default
//   a     = mean of |w| over the w with |w| > delta   (0 when there are none)
//   y     = a for w > delta, -a for w < -delta, 0 otherwise
//   over each output channel (slice along dim 0) or over the whole tensor; delta
//   and a are exact means rounded once to float32
//   dy/dw = 1 for |w| <= 1, 0 elsewhere (straight-through clipped as hardtanh's
//           derivative; delta's and a's dependence on w is ignored)
// Activations: levels -1, 0, 1 with threshold t (0.5 by default):
//   y     = 1 for x > t, -1 for x < -t, 0 otherwise
//   dy/dx = 1 for |x| <= 1, 0 elsewhere
//
// Inputs: float32 CPU or CUDA tensors of any shape, contiguous or not; per_channel needs
// dim >= 1. Return new contiguous tensors of the input's shape. Throws c10::Error
// (TORCH_CHECK) on wrong arguments.
#include <torch/types.h>

namespace quantlib::ops {

torch::Tensor ternary_weights(const torch::Tensor& w, bool per_channel, double threshold_factor = 0.7);
torch::Tensor ternary_activations(const torch::Tensor& x, double threshold = 0.5);

// The thresholds delta and scales a that ternary_weights uses, each of shape
// {w.size(0)} per channel or {1} per tensor. No gradient.
struct TernaryWeightLevels {
  torch::Tensor thresholds;
  torch::Tensor scales;
};
TernaryWeightLevels ternary_weight_levels(const torch::Tensor& w, bool per_channel, double threshold_factor = 0.7);

}  // namespace quantlib::ops

#pragma once
// Choosing the fixed scales of weight quantizers from the weights themselves.
//
// Symmetric uniform quantizer (SymmetricUniform.h, b bits, Q = 2^(b-1) - 1): the
// scale is s = c / Q for a clipping bound c chosen by
//   Max  c = max |w|
//   Std  c = min(k * std(w), max |w|), k = 3 by default (std about the mean, not
//        Bessel-corrected; clipping beyond max |w| would only waste levels)
//   Mse  c = r * max |w| with r among the candidates i / N, i = 1 .. N (N = 100 by
//        default) that minimises sum (w - q(w))^2 for the quantizer itself; among
//        equal errors the larger r
// Uniform INQ levels (Inq.h, n_levels on [-s, s]): s is
//   MaxMagnitude  s = max |w| (the original's "uniform" initialisation)
//   L1 / L2 / Linf optimal: s minimising sum |w - q(w)|, sum (w - q(w))^2 or
//        max |w - q(w)| with q the nearest level; searched on the grid
//        s = max|w| * i / N, i = 1 .. N (N = 100), then refined by golden-section
//        search between the best point's neighbours (kept only if better)
// Each per tensor (result shape {1}) or per channel along dim 0 (shape {C}, each
// channel on its own). A channel that is all zero has no range: its symmetric
// scale falls back to the tensor's (1 for an all-zero tensor), its INQ scale is 0.
// w: float32 CPU or CUDA tensor, any shape (per channel: dim >= 1). Not differentiable.
// Throws c10::Error (TORCH_CHECK) on wrong arguments.
#include <cstdint>

#include <torch/types.h>

namespace quantlib::ops {

enum class RangeMethod { Max, Std, Mse };

struct RangeInit {
  RangeMethod method = RangeMethod::Max;
  double std_factor = 3.0;       // k, for Std
  int64_t mse_candidates = 100;  // N, for Mse
};

torch::Tensor symmetric_weight_scales(const torch::Tensor& w, int64_t bits, const RangeInit& init, bool per_channel);

enum class LevelScaleInit { MaxMagnitude, L1Optimal, L2Optimal, LinfOptimal };

torch::Tensor uniform_levels_scales(const torch::Tensor& w, int64_t n_levels, LevelScaleInit init, bool per_channel,
                                    int64_t grid_points = 100);

}  // namespace quantlib::ops

#include "quantlib/algorithms/ternary/TernaryQuantizer.h"

#include <cmath>

#include "quantlib/ops/Ternary.h"

namespace quantlib::nn {

TernaryQuantizer::TernaryQuantizer(Kind kind, int64_t per_channel_count, std::optional<double> threshold)
    : Quantizer("TernaryQuantizer", /*enabled=*/true),
      kind_(kind),
      per_channel_count_(per_channel_count),
      threshold_(threshold.value_or(kind == Kind::Weights ? 0.7 : 0.5)) {
  TORCH_CHECK(per_channel_count >= 0, "TernaryQuantizer: per_channel_count must be 0 (per tensor) or positive, got ",
              per_channel_count);
  TORCH_CHECK(kind == Kind::Weights || per_channel_count == 0,
              "TernaryQuantizer: activations have no per-channel threshold, got per_channel_count ", per_channel_count);
  TORCH_CHECK(std::isfinite(threshold_) && threshold_ >= 0.0,
              "TernaryQuantizer: the threshold must be non-negative and finite, got ", threshold_);
}

torch::Tensor TernaryQuantizer::quantize(const torch::Tensor& x) {
  if (kind_ == Kind::Activations) return ops::ternary_activations(x, threshold_);
  const bool per_channel = per_channel_count_ > 0;
  TORCH_CHECK(!per_channel || (x.dim() >= 1 && x.size(0) == per_channel_count_), "TernaryQuantizer: per-channel "
              "threshold for ", per_channel_count_, " channels along dim 0, but the weight has shape ", x.sizes());
  return ops::ternary_weights(x, per_channel, threshold_);
}

IntegerGrid TernaryQuantizer::integer_grid() const {
  if (kind_ == Kind::Weights) return IntegerGrid::multiples();
  return IntegerGrid::of_thresholds({{-threshold_, false}, {threshold_, true}}, -1, 1);  // x >= -t, x > t
}

}  // namespace quantlib::nn

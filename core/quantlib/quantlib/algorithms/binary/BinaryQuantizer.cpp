#include "quantlib/algorithms/binary/BinaryQuantizer.h"

#include "quantlib/ops/Binary.h"

namespace quantlib::nn {

BinaryQuantizer::BinaryQuantizer(Kind kind, int64_t per_channel_count)
    : Quantizer("BinaryQuantizer", /*enabled=*/true), kind_(kind), per_channel_count_(per_channel_count) {
  TORCH_CHECK(per_channel_count >= 0, "BinaryQuantizer: per_channel_count must be 0 (per tensor) or positive, got ",
              per_channel_count);
  TORCH_CHECK(kind == Kind::Weights || per_channel_count == 0,
              "BinaryQuantizer: activations have no per-channel scale, got per_channel_count ", per_channel_count);
}

torch::Tensor BinaryQuantizer::quantize(const torch::Tensor& x) {
  if (kind_ == Kind::Activations) return ops::binary_activations(x);
  const bool per_channel = per_channel_count_ > 0;
  TORCH_CHECK(!per_channel || (x.dim() >= 1 && x.size(0) == per_channel_count_), "BinaryQuantizer: per-channel "
              "scale for ", per_channel_count_, " channels along dim 0, but the weight has shape ", x.sizes());
  return ops::binary_weights(x, per_channel);
}

IntegerGrid BinaryQuantizer::integer_grid() const {
  if (kind_ == Kind::Weights) return IntegerGrid::multiples();
  return IntegerGrid::of_thresholds({{0.0, false}}, -1, 2);  // sign(0) = +1
}

}  // namespace quantlib::nn

#include "quantlib/algorithms/uniform/UniformWeightQuantizer.h"

#include <cmath>

#include <torch/torch.h>

#include "quantlib/ops/SymmetricUniform.h"

namespace quantlib::nn {

UniformWeightQuantizer::UniformWeightQuantizer(int64_t bits, int64_t per_channel_count, ops::RangeInit range_init)
    : Quantizer("UniformWeightQuantizer", /*enabled=*/true),
      bits_(bits),
      per_channel_count_(per_channel_count),
      range_init_(range_init) {
  constexpr const char* where = "UniformWeightQuantizer";
  ops::symmetric_level_max(bits);  // checks bits
  TORCH_CHECK(per_channel_count >= 0, where, ": per_channel_count must be 0 (per tensor) or positive, got ",
              per_channel_count);
  TORCH_CHECK(range_init.method != ops::RangeMethod::Std ||
                  (std::isfinite(range_init.std_factor) && range_init.std_factor > 0.0),
              where, ": the std factor k must be positive and finite, got ", range_init.std_factor);
  TORCH_CHECK(range_init.method != ops::RangeMethod::Mse || range_init.mse_candidates >= 1, where,
              ": the MSE search needs at least one candidate, got ", range_init.mse_candidates);
  scale_ = register_buffer("scale", torch::ones({per_channel_count > 0 ? per_channel_count : 1}, torch::kFloat));
  initialised_ = register_buffer("initialised", torch::zeros({1}, torch::kFloat));
}

bool UniformWeightQuantizer::initialised() const { return initialised_read_.read(initialised_); }

void UniformWeightQuantizer::initialise(const torch::Tensor& w) {
  torch::NoGradGuard no_grad;
  const bool per_channel = per_channel_count_ > 0;
  TORCH_CHECK(!per_channel || (w.dim() >= 1 && w.size(0) == per_channel_count_), "UniformWeightQuantizer: per-channel "
              "scale for ", per_channel_count_, " channels along dim 0, but the weight has shape ", w.sizes());
  scale_.copy_(ops::symmetric_weight_scales(w, bits_, range_init_, per_channel));
  initialised_.fill_(1.0f);
}

torch::Tensor UniformWeightQuantizer::quantize(const torch::Tensor& x) {
  if (!initialised()) initialise(x);
  return ops::symmetric_uniform(x, scale_, bits_);
}

IntegerGrid UniformWeightQuantizer::integer_grid() const {
  if (!initialised()) return IntegerGrid::none("it has seen no weight, so its scale is not set");
  return IntegerGrid::of_bits(grid_step(scale_), bits_, ops::Signedness::Signed, /*symmetric=*/true);
}

}  // namespace quantlib::nn

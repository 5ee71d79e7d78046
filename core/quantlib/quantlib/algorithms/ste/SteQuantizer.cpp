#include "quantlib/algorithms/ste/SteQuantizer.h"

#include <torch/torch.h>

#include "quantlib/ops/UniformSte.h"

namespace quantlib::nn {

SteQuantizer::SteQuantizer(int64_t n_levels) : Quantizer("SteQuantizer", /*enabled=*/false), n_levels_(n_levels) {
  TORCH_CHECK(n_levels >= 2, "SteQuantizer: n_levels must be at least 2, got ", n_levels);
  abs_max_ = register_buffer("abs_max", torch::zeros({1}, torch::kFloat));
}

int64_t SteQuantizer::bits() const {
  int64_t bits = 0;
  while ((int64_t{1} << bits) < n_levels_) ++bits;
  return bits;
}

void SteQuantizer::reset_abs_max() {
  torch::NoGradGuard no_grad;
  abs_max_.zero_();
}

torch::Tensor SteQuantizer::forward(const torch::Tensor& x) {
  if (monitoring_ && x.numel() > 0) {
    torch::NoGradGuard no_grad;
    abs_max_.copy_(torch::maximum(abs_max_, x.detach().abs().max().reshape({1})));
  }
  return Quantizer::forward(x);
}

torch::Tensor SteQuantizer::quantize(const torch::Tensor& x) {
  TORCH_CHECK(abs_max_.item<float>() > 0.0f, "SteQuantizer: enabled with no recorded max |x|; monitor at least one "
              "non-zero batch before enabling it");
  return ops::uniform_ste(x, n_levels_, abs_max_);
}

IntegerGrid SteQuantizer::integer_grid() const {
  if (n_levels_ % 2 == 0)
    return IntegerGrid::none("it has an even number of levels (" + std::to_string(n_levels_) + "), none at zero");
  const double bound = abs_max_.item<float>();
  if (!(bound > 0)) return IntegerGrid::none("it has recorded no range yet");
  const int64_t level_max = (n_levels_ - 1) / 2;
  const auto step = static_cast<float>(2.0 * bound / static_cast<double>(n_levels_ - 1));
  return IntegerGrid::uniform(grid_step(step), -level_max, level_max);
}

}  // namespace quantlib::nn

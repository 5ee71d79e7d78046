#include "quantlib/algorithms/inq/InqQuantizer.h"

#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include <torch/torch.h>

#include "quantlib/ops/Inq.h"

namespace quantlib::nn {

namespace {

constexpr const char* kWhere = "InqQuantizer";

}  // namespace

InqLevelSet InqLevelSet::power_of_two(int64_t n_bits) {
  ops::check_inq_power_of_two_bits(kWhere, n_bits);
  InqLevelSet set;
  set.family = Family::PowerOfTwo;
  set.n_bits = n_bits;
  return set;
}

InqLevelSet InqLevelSet::uniform(int64_t n_levels, ops::LevelScaleInit scale_init) {
  ops::check_inq_uniform_levels(kWhere, n_levels);
  InqLevelSet set;
  set.family = Family::Uniform;
  set.n_levels = n_levels;
  set.scale_init = scale_init;
  return set;
}

int64_t InqLevelSet::magnitude_count() const {
  return family == Family::PowerOfTwo ? (int64_t{1} << (n_bits - 2)) + 1 : (n_levels - 1) / 2 + 1;
}

InqQuantizer::InqQuantizer(InqLevelSet levels, int64_t per_channel_count)
    : Quantizer("InqQuantizer", /*enabled=*/true), level_set_(levels), per_channel_count_(per_channel_count) {
  if (levels.family == InqLevelSet::Family::PowerOfTwo)
    ops::check_inq_power_of_two_bits(kWhere, levels.n_bits);
  else
    ops::check_inq_uniform_levels(kWhere, levels.n_levels);
  TORCH_CHECK(per_channel_count >= 0, kWhere, ": per_channel_count must be 0 (per tensor) or positive, got ",
              per_channel_count);
  frozen_ = register_buffer("frozen", torch::empty({0}, torch::kFloat));
  levels_ = register_buffer(
      "levels", torch::zeros({per_channel_count > 0 ? per_channel_count : 1, levels.magnitude_count()}, torch::kFloat));
  levels_initialised_ = register_buffer("levels_initialised", torch::zeros({1}, torch::kFloat));
}

void InqQuantizer::attach(const torch::Tensor& weight) {
  TORCH_CHECK(weight.defined() && weight.scalar_type() == torch::kFloat, kWhere,
              ": the attached weight must be a defined float32 tensor");
  TORCH_CHECK(per_channel_count_ == 0 || (weight.dim() >= 1 && weight.size(0) == per_channel_count_), kWhere,
              ": per-channel levels for ", per_channel_count_, " channels along dim 0, but the weight has shape ",
              weight.sizes());
  torch::NoGradGuard no_grad;
  const bool never_attached = frozen_.dim() == 1 && frozen_.size(0) == 0;
  if (never_attached && weight.sizes() != frozen_.sizes()) {
    // set_, not a new tensor: the registered buffer and this handle share one TensorImpl.
    frozen_.set_(torch::full(weight.sizes(), std::numeric_limits<float>::quiet_NaN(), weight.options()
                                                                                           .requires_grad(false)));
  }
  TORCH_CHECK(frozen_.sizes() == weight.sizes(), kWhere, ": the buffer frozen has shape ", frozen_.sizes(),
              " but the weight has shape ", weight.sizes());
  weight_ = weight;
}

bool InqQuantizer::levels_initialised() const { return levels_initialised_read_.read(levels_initialised_); }

void InqQuantizer::initialise_levels() {
  TORCH_CHECK(attached(), kWhere, ": no weight attached; attach(weight) or run a forward first");
  torch::NoGradGuard no_grad;
  const bool per_channel = per_channel_count_ > 0;
  const int64_t rows = levels_.size(0);
  const torch::Tensor weight = weight_.detach().to(torch::kCPU);
  std::vector<torch::Tensor> row_levels;
  if (level_set_.family == InqLevelSet::Family::PowerOfTwo) {
    const torch::Tensor flat = weight.reshape({rows, -1});
    const torch::Tensor max_magnitudes =
        flat.size(1) == 0 ? torch::zeros({rows}, flat.options()) : flat.abs().amax(1);
    for (int64_t row = 0; row < rows; ++row)
      row_levels.push_back(ops::inq_power_of_two_magnitudes(max_magnitudes[row].item<double>(), level_set_.n_bits));
  } else {
    const torch::Tensor scales = ops::uniform_levels_scales(weight, level_set_.n_levels, level_set_.scale_init,
                                                            per_channel);
    for (int64_t row = 0; row < rows; ++row)
      row_levels.push_back(ops::inq_uniform_magnitudes(scales[row].item<double>(), level_set_.n_levels));
  }
  levels_.copy_(torch::stack(row_levels));
  levels_initialised_.fill_(1.0f);
}

int64_t InqQuantizer::freeze_fraction(double fraction, InqStrategy strategy, at::Generator& generator) {
  TORCH_CHECK(std::isfinite(fraction) && fraction >= 0.0 && fraction <= 1.0, kWhere,
              ": the fraction to freeze must be in [0, 1], got ", fraction);
  TORCH_CHECK(attached(), kWhere, ": no weight attached; attach(weight) or run a forward first");
  TORCH_CHECK(weight_.sizes() == frozen_.sizes(), kWhere, ": the weight's shape ", weight_.sizes(),
              " changed from the frozen buffer's ", frozen_.sizes());
  if (!levels_initialised()) initialise_levels();
  torch::NoGradGuard no_grad;
  if (!frozen_.is_contiguous()) frozen_.set_(frozen_.contiguous());
  const torch::Tensor frozen_flat = frozen_.view({-1});
  const int64_t total = frozen_flat.numel();
  const torch::Tensor free = frozen_flat.isnan();
  const int64_t free_count = free.sum().item<int64_t>();
  const int64_t target = std::llround(fraction * static_cast<double>(total));
  const int64_t to_freeze = target - (total - free_count);
  if (to_freeze <= 0) return 0;

  const torch::Tensor weight = weight_.detach();
  const torch::Tensor weight_flat = weight.reshape({-1});
  const torch::Tensor free_indices = free.nonzero().squeeze(1);
  torch::Tensor order;
  if (strategy == InqStrategy::Magnitude) {
    // Stable, so equal magnitudes freeze in index order on every run.
    order = std::get<1>(weight_flat.index({free_indices}).abs().sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  } else {
    order = torch::randperm(free_count, generator, torch::TensorOptions().dtype(torch::kLong));
  }
  const torch::Tensor chosen = free_indices.index({order.slice(0, 0, to_freeze)});
  const torch::Tensor nearest = ops::inq_nearest_levels(weight, levels_).reshape({-1});
  frozen_flat.index_put_({chosen}, nearest.index({chosen}).to(frozen_flat.device()));
  return to_freeze;
}

double InqQuantizer::frozen_fraction() const {
  const int64_t total = frozen_.numel();
  if (total == 0) return 0.0;
  return static_cast<double>(total - frozen_.isnan().sum().item<int64_t>()) / static_cast<double>(total);
}

int64_t InqQuantizer::bits() const {
  const int64_t levels = 2 * level_set_.magnitude_count() - 1;
  int64_t bits = 0;
  while ((int64_t{1} << bits) < levels) ++bits;
  return bits;
}

std::vector<std::pair<std::string, torch::Tensor>> InqQuantizer::statistics() const {
  return {{"frozen_fraction", torch::full({1}, frozen_fraction(), torch::kFloat)}};
}

torch::Tensor InqQuantizer::quantize(const torch::Tensor& x) {
  if (!attached()) attach(x);
  return ops::inq(x, frozen_);
}

IntegerGrid InqQuantizer::integer_grid() const { return IntegerGrid::multiples(); }

}  // namespace quantlib::nn

#include "quantlib/algorithms/lsq/LearnedBitsQuantizer.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "quantlib/algorithms/lsq/LsqQuantizer.h"
#include "quantlib/ops/Lsq.h"
#include "quantlib/ops/OpChecks.h"

namespace quantlib::nn {

namespace {

double positive_levels(int64_t bits, ops::Signedness signedness) {
  return static_cast<double>(ops::detail::twos_complement_range(bits, signedness).level_max);
}

}  // namespace

LearnedBitsQuantizer::LearnedBitsQuantizer(int64_t min_bits, int64_t max_bits, double init_bits,
                                           ops::Signedness signedness, int64_t per_channel_count)
    : Quantizer("LearnedBitsQuantizer", /*enabled=*/true),
      min_bits_(min_bits),
      max_bits_(max_bits),
      signedness_(signedness),
      per_channel_count_(per_channel_count) {
  ops::detail::check_bits("LearnedBitsQuantizer", min_bits, signedness);
  ops::detail::check_bits("LearnedBitsQuantizer", max_bits, signedness);
  TORCH_CHECK(min_bits < max_bits, "LearnedBitsQuantizer: min_bits must be below max_bits, got ", min_bits, " and ",
              max_bits);
  TORCH_CHECK(init_bits >= static_cast<double>(min_bits) && init_bits <= static_cast<double>(max_bits),
              "LearnedBitsQuantizer: init_bits must lie in [min_bits, max_bits], got ", init_bits);
  TORCH_CHECK(per_channel_count >= 0, "LearnedBitsQuantizer: per_channel_count must be 0 (per tensor) or positive, got ",
              per_channel_count);
  step_ = register_parameter("step", torch::ones({per_channel_count > 0 ? per_channel_count : 1}, torch::kFloat));
  bits_ = register_parameter("bits", torch::full({1}, init_bits, torch::kFloat));
  initialised_ = register_buffer("initialised", torch::zeros({1}, torch::kFloat));
  frozen_bits_ = register_buffer("frozen_bits", torch::zeros({1}, torch::kFloat));
}

bool LearnedBitsQuantizer::initialised() const { return initialised_read_.read(initialised_); }

bool LearnedBitsQuantizer::frozen() const { return frozen_bits_.item<float>() != 0.0f; }

void LearnedBitsQuantizer::initialise(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const auto nearest = std::clamp<int64_t>(std::llround(bits_.item<double>()), min_bits_, max_bits_);
  const torch::Tensor step_at_nearest =
      lsq_initial_step(x, per_channel_count_, nearest, signedness_, "LearnedBitsQuantizer");
  step_.copy_(step_at_nearest * (positive_levels(nearest, signedness_) / positive_levels(max_bits_, signedness_)));
  initialised_.fill_(1.0f);
}

torch::Tensor LearnedBitsQuantizer::fractional_bits() const {
  if (frozen()) return frozen_bits_.detach().clone();
  // Straight through the clamp: b at a bound (init: max, or clamp_bits after
  // a step past it) must still get the gradient that moves it back inside.
  const torch::Tensor inside = bits_.detach().clamp(static_cast<double>(min_bits_), static_cast<double>(max_bits_));
  return bits_ + (inside - bits_.detach());
}

int64_t LearnedBitsQuantizer::bits() const {
  if (frozen()) return static_cast<int64_t>(frozen_bits_.item<float>());
  const double b = std::clamp<double>(bits_.item<double>(), min_bits_, max_bits_);
  return static_cast<int64_t>(std::ceil(b));
}

void LearnedBitsQuantizer::clamp_bits() {
  torch::NoGradGuard no_grad;
  bits_.clamp_(static_cast<double>(min_bits_), static_cast<double>(max_bits_));
}

void LearnedBitsQuantizer::freeze() {
  if (frozen()) return;
  torch::NoGradGuard no_grad;
  const double b = std::clamp<double>(bits_.item<double>(), min_bits_, max_bits_);
  frozen_bits_.fill_(static_cast<double>(std::llround(b)));
}

torch::Tensor LearnedBitsQuantizer::step_at(int64_t k) const {
  return step_ * (positive_levels(max_bits_, signedness_) / positive_levels(k, signedness_));
}

torch::Tensor LearnedBitsQuantizer::lsq_at(const torch::Tensor& x, int64_t k) const {
  const int64_t elements_per_step = x.numel() / step_.numel();
  const double ratio = positive_levels(k, signedness_) / positive_levels(max_bits_, signedness_);
  const double grad_scale = ops::lsq_default_grad_scale(elements_per_step, k, signedness_) * ratio * ratio;
  return ops::lsq(x, step_at(k), k, signedness_, grad_scale);
}

torch::Tensor LearnedBitsQuantizer::quantize(const torch::Tensor& x) {
  if (!initialised()) initialise(x);
  if (frozen()) return lsq_at(x, bits());
  const torch::Tensor b = fractional_bits();
  const int64_t lo = std::min<int64_t>(static_cast<int64_t>(std::floor(b.item<double>())), max_bits_ - 1);
  const torch::Tensor low = lsq_at(x, lo);
  const torch::Tensor high = lsq_at(x, lo + 1);
  return low + (b - static_cast<double>(lo)) * (high - low);
}

IntegerGrid LearnedBitsQuantizer::integer_grid() const {
  if (!initialised()) return IntegerGrid::none("it has seen no data, so its step is not set");
  if (!frozen())
    return IntegerGrid::none("its bit-width is still learned (a mix of two grids); it is rounded and frozen at the "
                             "recipe's learned_bits.freeze_epoch");
  const torch::Tensor step = step_at(bits()).detach();
  return IntegerGrid::of_bits(grid_step(step), bits(), signedness_, /*symmetric=*/false);
}

std::vector<std::pair<std::string, torch::Tensor>> LearnedBitsQuantizer::statistics() const {
  torch::NoGradGuard no_grad;
  return {{"step", step_at(bits())}, {"bits", fractional_bits().detach()}};
}

}  // namespace quantlib::nn

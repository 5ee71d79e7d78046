#include "quantlib/algorithms/lsq/LsqQuantizer.h"

#include <cmath>

#include <torch/torch.h>

#include "quantlib/ops/Lsq.h"
#include "quantlib/ops/OpChecks.h"

namespace quantlib::nn {

namespace {

// The op needs a positive step; an all-zero first batch (a dead ReLU) would give 0.
constexpr double smallest_initial_step = 1e-8;

}  // namespace

torch::Tensor lsq_initial_step(const torch::Tensor& x, int64_t per_channel_count, int64_t bits,
                               ops::Signedness signedness, const char* who) {
  const double positive_levels = ops::detail::twos_complement_range(bits, signedness).level_max;
  torch::Tensor mean_magnitude;
  if (per_channel_count > 0) {
    TORCH_CHECK(x.dim() >= 1 && x.size(0) == per_channel_count, who, ": per-channel step for ", per_channel_count,
                " channels along dim 0, but x has shape ", x.sizes());
    mean_magnitude = x.detach().abs().reshape({per_channel_count, -1}).mean(1);
  } else {
    mean_magnitude = x.detach().abs().mean().reshape({1});
  }
  return (2.0 * mean_magnitude / std::sqrt(positive_levels)).clamp_min(smallest_initial_step);
}

LsqQuantizer::LsqQuantizer(int64_t bits, ops::Signedness signedness, int64_t per_channel_count)
    : Quantizer("LsqQuantizer", /*enabled=*/true),
      bits_(bits),
      signedness_(signedness),
      per_channel_count_(per_channel_count) {
  ops::detail::check_bits("LsqQuantizer", bits, signedness);
  TORCH_CHECK(per_channel_count >= 0, "LsqQuantizer: per_channel_count must be 0 (per tensor) or positive, got ",
              per_channel_count);
  step_ = register_parameter("step", torch::ones({per_channel_count > 0 ? per_channel_count : 1}, torch::kFloat));
  initialised_ = register_buffer("initialised", torch::zeros({1}, torch::kFloat));
}

bool LsqQuantizer::initialised() const { return initialised_read_.read(initialised_); }

void LsqQuantizer::initialise(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  step_.copy_(lsq_initial_step(x, per_channel_count_, bits_, signedness_, "LsqQuantizer"));
  initialised_.fill_(1.0f);
}

torch::Tensor LsqQuantizer::quantize(const torch::Tensor& x) {
  if (!initialised()) initialise(x);
  return ops::lsq(x, step_, bits_, signedness_);
}

IntegerGrid LsqQuantizer::integer_grid() const {
  if (!initialised()) return IntegerGrid::none("it has seen no data, so its step is not set");
  return IntegerGrid::of_bits(grid_step(step_), bits_, signedness_, /*symmetric=*/false);
}

}  // namespace quantlib::nn

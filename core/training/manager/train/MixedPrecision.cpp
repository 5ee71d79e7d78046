#include "manager/train/MixedPrecision.h"

#include <ATen/autocast_mode.h>
#include <fmt/format.h>
#include <torch/torch.h>

namespace quantlab {

namespace {

// PyTorch's GradScaler defaults, so runs compare with PyTorch's.
constexpr double kInitialScale = 65536.0;
constexpr double kGrowthFactor = 2.0;
constexpr double kBackoffFactor = 0.5;
constexpr std::int64_t kGrowthInterval = 2000;

c10::ScalarType autocast_dtype(ExperimentConfig::Amp mode) {
  return mode == ExperimentConfig::Amp::fp16 ? c10::ScalarType::Half : c10::ScalarType::BFloat16;
}

}  // namespace

MixedPrecision::MixedPrecision() = default;

MixedPrecision::MixedPrecision(ExperimentConfig::Amp mode, torch::Device device) : mode_(mode), device_(device) {
  if (scales_loss()) {
    scale_ = torch::full({1}, kInitialScale, torch::TensorOptions().dtype(torch::kFloat).device(device));
    growth_tracker_ = torch::zeros({1}, torch::TensorOptions().dtype(torch::kInt).device(device));
  }
}

MixedPrecision::Autocast::Autocast(const MixedPrecision& amp) : on_(amp.enabled()) {
  if (!on_) return;
  device_type_ = amp.device_.type();
  was_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::set_autocast_dtype(device_type_, autocast_dtype(amp.mode_));
  at::autocast::increment_nesting();
}

MixedPrecision::Autocast::~Autocast() {
  if (!on_) return;
  // The casts of the weights are cached for one forward pass only.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, was_enabled_);
  at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
}

std::string MixedPrecision::describe() const {
  switch (mode_) {
    case ExperimentConfig::Amp::off: return "off";
    case ExperimentConfig::Amp::bf16: return "bf16";
    case ExperimentConfig::Amp::fp16: return fmt::format("fp16 (loss scale {:g})", scale());
  }
  return "off";
}

torch::Tensor MixedPrecision::scaled(const torch::Tensor& loss) const {
  return scales_loss() ? loss * scale_.to(loss.scalar_type()) : loss;
}

bool MixedPrecision::step(torch::optim::Optimizer& optimizer) {
  if (!scales_loss()) {
    optimizer.step();
    return true;
  }
  std::vector<torch::Tensor> gradients;
  for (const auto& group : optimizer.param_groups())
    for (const auto& parameter : group.params())
      if (parameter.grad().defined()) gradients.push_back(parameter.grad());
  torch::NoGradGuard no_grad;
  torch::Tensor found_infinite = torch::zeros({1}, scale_.options());
  if (!gradients.empty())
    at::_amp_foreach_non_finite_check_and_unscale_(gradients, found_infinite, scale_.reciprocal());
  // Every rank holds the same all-reduced gradients, so they agree on skipping.
  const bool finite = found_infinite.item<float>() == 0.0f;
  if (finite)
    optimizer.step();
  else
    ++skipped_steps_;
  at::_amp_update_scale_(scale_, growth_tracker_, found_infinite, kGrowthFactor, kBackoffFactor, kGrowthInterval);
  return finite;
}

double MixedPrecision::scale() const { return scales_loss() ? scale_.item<double>() : 1.0; }

std::vector<double> MixedPrecision::state() const {
  if (!scales_loss()) return {};
  return {scale_.item<double>(), static_cast<double>(growth_tracker_.item<std::int32_t>())};
}

void MixedPrecision::load_state(const std::vector<double>& state) {
  if (!scales_loss() || state.size() != 2) return;
  scale_.fill_(state[0]);
  growth_tracker_.fill_(static_cast<std::int32_t>(state[1]));
}

}  // namespace quantlab

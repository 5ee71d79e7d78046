#include "quantlib/algorithms/inq/InqController.h"

#include <cmath>
#include <iterator>
#include <limits>
#include <mutex>
#include <utility>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace quantlib {

InqController::InqController(std::string name, std::vector<std::shared_ptr<nn::Quantizer>> quantizers,
                             std::map<int, double> schedule, nn::InqStrategy strategy, bool clear_optimizer_state,
                             uint64_t seed)
    : name_(std::move(name)),
      schedule_(std::move(schedule)),
      strategy_(strategy),
      clear_optimizer_state_(clear_optimizer_state),
      generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  for (const auto& quantizer : quantizers) {
    auto inq = std::dynamic_pointer_cast<nn::InqQuantizer>(quantizer);
    TORCH_CHECK(inq != nullptr, name_, ": every quantizer of an INQ controller must be an InqQuantizer");
    quantizers_.push_back(std::move(inq));
  }
  double previous = 0.0;
  for (const auto& [epoch, fraction] : schedule_) {
    TORCH_CHECK(epoch >= 0, name_, ": INQ schedule epochs must be >= 0, got ", epoch);
    TORCH_CHECK(std::isfinite(fraction) && fraction >= 0.0 && fraction <= 1.0, name_,
                ": INQ schedule fractions must be in [0, 1], got ", fraction, " at epoch ", epoch);
    TORCH_CHECK(fraction >= previous, name_, ": INQ schedule fractions must not decrease, got ", fraction,
                " at epoch ", epoch, " after ", previous);
    previous = fraction;
  }
}

double InqController::scheduled_fraction(int epoch) const {
  auto after = schedule_.upper_bound(epoch);
  if (after == schedule_.begin()) return 0.0;
  return std::prev(after)->second;
}

int InqController::final_epoch() const {
  for (const auto& [epoch, fraction] : schedule_)
    if (fraction >= 1.0) return epoch;
  return std::numeric_limits<int>::max();
}

void InqController::step_pre_training(int epoch, torch::optim::Optimizer& optimizer) {
  const double target = scheduled_fraction(epoch);
  if (target <= fraction_) return;
  int64_t frozen = 0;
  // One generator for all quantizers, drawn in their order: the same draws on every run.
  for (const auto& quantizer : quantizers_) frozen += quantizer->freeze_fraction(target, strategy_, generator_);
  fraction_ = target;
  if (clear_optimizer_state_ && frozen > 0) optimizer.state().clear();
}

void InqController::save(torch::serialize::OutputArchive& archive) const {
  torch::Tensor generator_state;
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_state = generator_.get_state();
  }
  archive.write("generator_state", generator_state);
  archive.write("fraction", torch::full({1}, fraction_, torch::kDouble));
}

void InqController::load(torch::serialize::InputArchive& archive) {
  torch::Tensor generator_state;
  torch::Tensor fraction;
  archive.read("generator_state", generator_state);
  archive.read("fraction", fraction);
  TORCH_CHECK(fraction.numel() == 1, name_, ": a saved INQ fraction must have one element, got shape ",
              fraction.sizes());
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(generator_state);
  }
  fraction_ = fraction.item<double>();
}

}  // namespace quantlib

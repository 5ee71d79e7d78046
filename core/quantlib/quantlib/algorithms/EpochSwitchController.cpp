#include "quantlib/algorithms/EpochSwitchController.h"

#include <c10/util/Exception.h>

namespace quantlib {

EpochSwitchController::EpochSwitchController(std::string name, std::vector<std::shared_ptr<nn::Quantizer>> quantizers,
                                             int start_epoch)
    : name_(std::move(name)), quantizers_(std::move(quantizers)), start_epoch_(start_epoch) {
  TORCH_CHECK(start_epoch >= 0, name_, ": start_epoch must be >= 0, got ", start_epoch);
  for (const auto& quantizer : quantizers_) TORCH_CHECK(quantizer != nullptr, name_, ": null quantizer");
}

void EpochSwitchController::step_pre_training(int epoch, torch::optim::Optimizer& /*optimizer*/) {
  for (const auto& quantizer : quantizers_) quantizer->set_enabled(epoch >= start_epoch_);
}

void EpochSwitchController::step_pre_validation(int epoch) {
  for (const auto& quantizer : quantizers_) quantizer->set_enabled(epoch >= start_epoch_);
}

}  // namespace quantlib

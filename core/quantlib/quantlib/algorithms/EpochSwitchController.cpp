#include "quantlib/algorithms/EpochSwitchController.h"

#include <c10/util/Exception.h>

#include "quantlib/nn/SteQuantizer.h"

namespace quantlib {

EpochSwitchController::EpochSwitchController(std::string name, std::vector<std::shared_ptr<nn::Quantizer>> quantizers,
                                             int start_epoch)
    : name_(std::move(name)), quantizers_(std::move(quantizers)), start_epoch_(start_epoch) {
  TORCH_CHECK(start_epoch >= 0, name_, ": start_epoch must be >= 0, got ", start_epoch);
  for (const auto& quantizer : quantizers_) {
    TORCH_CHECK(quantizer != nullptr, name_, ": null quantizer");
    if (std::dynamic_pointer_cast<nn::SteQuantizer>(quantizer))
      TORCH_CHECK(start_epoch >= 1, name_, ": an STE quantizer records its range during the epoch before it "
                  "starts, so start_epoch must be >= 1, got ", start_epoch);
  }
}

void EpochSwitchController::step_pre_training(int epoch, torch::optim::Optimizer& /*optimizer*/) {
  for (const auto& quantizer : quantizers_) {
    quantizer->set_enabled(epoch >= start_epoch_);
    if (auto ste = std::dynamic_pointer_cast<nn::SteQuantizer>(quantizer)) {
      const bool monitoring = epoch == start_epoch_ - 1;
      // A resumed run re-enters the monitoring epoch from its start, so it
      // records the range afresh, as the uninterrupted run did.
      if (monitoring) ste->reset_abs_max();
      ste->set_monitoring(monitoring);
    }
  }
}

void EpochSwitchController::step_pre_validation(int epoch) {
  for (const auto& quantizer : quantizers_) {
    quantizer->set_enabled(epoch >= start_epoch_);
    // Validation data must not widen the STE range.
    if (auto ste = std::dynamic_pointer_cast<nn::SteQuantizer>(quantizer)) ste->set_monitoring(false);
  }
}

}  // namespace quantlib

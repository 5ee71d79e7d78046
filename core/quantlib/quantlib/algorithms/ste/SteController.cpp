#include "quantlib/algorithms/ste/SteController.h"

#include <c10/util/Exception.h>

namespace quantlib {

SteController::SteController(std::string name, std::vector<std::shared_ptr<nn::Quantizer>> quantizers,
                             int start_epoch)
    : EpochSwitchController(std::move(name), std::move(quantizers), start_epoch) {
  TORCH_CHECK(start_epoch >= 1, this->name(), ": an STE quantizer records its range during the epoch before it "
              "starts, so start_epoch must be >= 1, got ", start_epoch);
  for (const auto& quantizer : this->quantizers()) {
    auto ste = std::dynamic_pointer_cast<nn::SteQuantizer>(quantizer);
    TORCH_CHECK(ste != nullptr, this->name(), ": the STE controller was given another algorithm's quantizer");
    stes_.push_back(std::move(ste));
  }
}

void SteController::step_pre_training(int epoch, torch::optim::Optimizer& optimizer) {
  EpochSwitchController::step_pre_training(epoch, optimizer);
  const bool monitoring = epoch == start_epoch() - 1;
  for (const auto& ste : stes_) {
    // A resumed run re-enters the monitoring epoch from its start, so it
    // records the range afresh, as the uninterrupted run did.
    if (monitoring) ste->reset_abs_max();
    ste->set_monitoring(monitoring);
  }
}

void SteController::step_pre_validation(int epoch) {
  EpochSwitchController::step_pre_validation(epoch);
  // Validation data must not widen the range.
  for (const auto& ste : stes_) ste->set_monitoring(false);
}

}  // namespace quantlib

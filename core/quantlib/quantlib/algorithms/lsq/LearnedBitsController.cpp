#include "quantlib/algorithms/lsq/LearnedBitsController.h"

#include <c10/util/Exception.h>

namespace quantlib {

LearnedBitsController::LearnedBitsController(std::string name,
                                             const std::vector<std::shared_ptr<nn::Quantizer>>& quantizers,
                                             int start_epoch, std::optional<int> freeze_epoch)
    : EpochSwitchController(std::move(name), quantizers, start_epoch),
      freeze_epoch_(freeze_epoch),
      freeze_epoch_given_(freeze_epoch.has_value()) {
  for (const auto& quantizer : quantizers) {
    auto learned = std::dynamic_pointer_cast<nn::LearnedBitsQuantizer>(quantizer);
    TORCH_CHECK(learned != nullptr, this->name(), ": every quantizer must be a LearnedBitsQuantizer");
    learned_.push_back(std::move(learned));
  }
  TORCH_CHECK(!freeze_epoch || *freeze_epoch >= 0, this->name(), ": freeze_epoch must be >= 0");
}

int LearnedBitsController::default_freeze_epoch(int n_epochs) { return n_epochs - (n_epochs + 3) / 4; }

void LearnedBitsController::set_training_epochs(int n_epochs) {
  if (!freeze_epoch_given_) freeze_epoch_ = default_freeze_epoch(n_epochs);
}

void LearnedBitsController::step_pre_training(int epoch, torch::optim::Optimizer& optimizer) {
  EpochSwitchController::step_pre_training(epoch, optimizer);
  if (freeze_epoch_ && epoch >= *freeze_epoch_)
    for (const auto& quantizer : learned_) quantizer->freeze();
}

void LearnedBitsController::step_pre_batch(int /*epoch*/, int64_t /*batch*/, int64_t /*batches_per_epoch*/) {
  for (const auto& quantizer : learned_) quantizer->clamp_bits();
}

}  // namespace quantlib

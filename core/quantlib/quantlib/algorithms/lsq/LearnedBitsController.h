#pragma once
// Drives LearnedBitsQuantizers: on from start_epoch (EpochSwitchController),
// their bit-widths kept inside [min, max] before each batch, and rounded and
// frozen before the training of freeze_epoch (by default the run's last
// quarter: n_epochs - ceil(n_epochs / 4)). Its decisions follow from the
// epoch and the quantizers' own buffers, so a resumed run continues exactly.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quantlib/algorithms/EpochSwitchController.h"
#include "quantlib/algorithms/lsq/LearnedBitsQuantizer.h"

namespace quantlib {

class LearnedBitsController : public EpochSwitchController {
 public:
  // freeze_epoch: none for the default, which set_training_epochs sets.
  LearnedBitsController(std::string name, const std::vector<std::shared_ptr<nn::Quantizer>>& quantizers,
                        int start_epoch, std::optional<int> freeze_epoch);

  void set_training_epochs(int n_epochs) override;
  void step_pre_training(int epoch, torch::optim::Optimizer& optimizer) override;
  void step_pre_batch(int epoch, int64_t batch, int64_t batches_per_epoch) override;

  // The default freeze epoch of a run of n_epochs.
  static int default_freeze_epoch(int n_epochs);
  std::optional<int> freeze_epoch() const { return freeze_epoch_; }
  int final_epoch() const override { return std::max(start_epoch(), freeze_epoch_.value_or(start_epoch())); }

 private:
  std::vector<std::shared_ptr<nn::LearnedBitsQuantizer>> learned_;
  std::optional<int> freeze_epoch_;
  bool freeze_epoch_given_;
};

}  // namespace quantlib

#pragma once
// The learning rate of a staged experiment (training.stages): one LrSchedule
// per stage, counting epochs from the stage's first, from the stage's `lr`
// (default training.optimizer.params.lr) and its `lr_scheduler` (default
// training.lr_scheduler). Without stages it is training.lr_scheduler alone.
// Each stage's plateau state travels in checkpoints.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manager/config/ExperimentConfig.h"
#include "manager/train/LrSchedule.h"

namespace quantlab {

class StagedLrSchedule {
 public:
  // One stage of every epoch.
  explicit StagedLrSchedule(LrSchedule whole = {});

  // base_lr: the optimizer's; main_metric/higher_is_better: the target
  // metric, the plateau's default. ConfigError naming the stage's keys.
  static StagedLrSchedule make(const ExperimentConfig& config, double base_lr, const std::string& main_metric,
                               bool higher_is_better);

  // The stage epoch `epoch` (0-based) belongs to.
  int stage_of(int epoch) const;
  // `progress`: the fraction of the epoch done (per-batch schedules).
  double learning_rate(int epoch, double progress = 0.0) const;
  // A one-cycle stage's momentum at that point; none elsewhere.
  std::optional<double> momentum(int epoch, double progress = 0.0) const;
  // Whether some stage's rate changes within an epoch, or cycles momentum.
  bool per_batch() const;
  bool cycles_momentum() const;
  // After validating epoch `epoch`: its stage's schedule listens.
  void step(int epoch, const std::map<std::string, double>& metrics);

  // Every stage's state, one after the other.
  std::vector<double> state() const;
  void load_state(const std::vector<double>& state);

 private:
  std::vector<int> first_epochs_;
  std::vector<LrSchedule> schedules_;
};

}  // namespace quantlab

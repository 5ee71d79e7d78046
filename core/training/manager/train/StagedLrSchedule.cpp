#include "manager/train/StagedLrSchedule.h"

#include <algorithm>

#include <c10/util/Exception.h>

namespace quantlab {

StagedLrSchedule::StagedLrSchedule(LrSchedule whole) : first_epochs_{0}, schedules_{std::move(whole)} {}

StagedLrSchedule StagedLrSchedule::make(const ExperimentConfig& config, double base_lr, const std::string& main_metric,
                                        bool higher_is_better) {
  const Params shared = config.section("training.lr_scheduler");
  if (config.stages.empty()) return StagedLrSchedule(LrSchedule::make(shared, base_lr, main_metric, higher_is_better));
  StagedLrSchedule staged;
  staged.first_epochs_.clear();
  staged.schedules_.clear();
  for (const auto& stage : config.stages) {
    const Params own = stage.params.at("lr_scheduler");
    staged.first_epochs_.push_back(stage.first_epoch);
    staged.schedules_.push_back(LrSchedule::make(own.keys().empty() ? shared : own, stage.lr.value_or(base_lr),
                                                 main_metric, higher_is_better));
  }
  return staged;
}

int StagedLrSchedule::stage_of(int epoch) const {
  const auto after = std::upper_bound(first_epochs_.begin(), first_epochs_.end(), epoch);
  return static_cast<int>(std::max<std::ptrdiff_t>(0, after - first_epochs_.begin() - 1));
}

double StagedLrSchedule::learning_rate(int epoch, double progress) const {
  const int stage = stage_of(epoch);
  return schedules_[stage].learning_rate(epoch - first_epochs_[stage], progress);
}

std::optional<double> StagedLrSchedule::momentum(int epoch, double progress) const {
  const int stage = stage_of(epoch);
  return schedules_[stage].momentum(epoch - first_epochs_[stage], progress);
}

bool StagedLrSchedule::per_batch() const {
  return std::any_of(schedules_.begin(), schedules_.end(), [](const LrSchedule& s) { return s.per_batch(); });
}

bool StagedLrSchedule::cycles_momentum() const {
  return std::any_of(schedules_.begin(), schedules_.end(), [](const LrSchedule& s) { return s.momentum(0).has_value(); });
}

void StagedLrSchedule::step(int epoch, const std::map<std::string, double>& metrics) {
  const int stage = stage_of(epoch);
  schedules_[stage].step(epoch - first_epochs_[stage], metrics);
}

std::vector<double> StagedLrSchedule::state() const {
  std::vector<double> state;
  for (const auto& schedule : schedules_) {
    const auto own = schedule.state();
    state.insert(state.end(), own.begin(), own.end());
  }
  return state;
}

void StagedLrSchedule::load_state(const std::vector<double>& state) {
  TORCH_CHECK(state.size() % schedules_.size() == 0 && !state.empty(), "LR schedule state of ", state.size(),
              " values for ", schedules_.size(), " stage(s)");
  const auto per_stage = static_cast<std::ptrdiff_t>(state.size() / schedules_.size());
  for (std::size_t k = 0; k < schedules_.size(); ++k)
    schedules_[k].load_state(std::vector<double>(state.begin() + per_stage * static_cast<std::ptrdiff_t>(k),
                                                 state.begin() + per_stage * static_cast<std::ptrdiff_t>(k + 1)));
}

}  // namespace quantlab

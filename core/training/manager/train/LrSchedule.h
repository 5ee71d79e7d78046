#pragma once
// Learning-rate schedules from `training.lr_scheduler`: the learning rate of
// epoch e (0-based) is base_lr * warmup(e) * schedule(e). OneCycleLR changes
// the rate (and the momentum) at every batch, as a function of the epoch and
// the fraction of it done. Every schedule but ReduceLROnPlateau is a pure
// function of the epoch (and that fraction); the plateau's state travels in
// checkpoints.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quantlab/Params.h"

namespace quantlab {

class LrSchedule {
 public:
  enum class Kind { constant, hand, step, multi_step, cosine, plateau, one_cycle };

  // section: the `training.lr_scheduler` map (null means constant).
  // main_metric/higher_is_better: the target metric, the plateau's default.
  static LrSchedule make(const Params& section, double base_lr, const std::string& main_metric,
                         bool higher_is_better);

  // `progress`: the fraction of the epoch done, in [0, 1); only per-batch
  // schedules read it.
  double learning_rate(int epoch, double progress = 0.0) const;
  // OneCycleLR with cycle_momentum: the momentum (SGD) or beta1 (Adam, AdamW)
  // of that point; otherwise none, and the optimizer keeps its own.
  std::optional<double> momentum(int epoch, double progress = 0.0) const;
  // Whether the rate changes within an epoch (set before every batch).
  bool per_batch() const { return kind_ == Kind::one_cycle; }
  // After validating epoch `epoch`; only the plateau schedule listens.
  void step(int epoch, const std::map<std::string, double>& metrics);

  std::vector<double> state() const;
  void load_state(const std::vector<double>& state);

  Kind kind() const { return kind_; }

 private:
  double schedule_factor(int epoch) const;
  // OneCycleLR: where [0, 1] of the cycle the point (epoch, progress) is.
  double cycle_position(int epoch, double progress) const;

  Kind kind_ = Kind::constant;
  double base_lr_ = 0.1;
  std::map<int, double> hand_;     // epoch -> factor
  int step_size_ = 1;
  std::vector<int> milestones_;
  double gamma_ = 0.1;
  int t_max_ = 1;
  double eta_min_ = 0;
  // OneCycleLR: the rate rises from base_lr / div_factor to base_lr over
  // pct_start of the cycle, then anneals to base_lr / div_factor /
  // final_div_factor; the momentum moves the other way between max and base.
  int cycle_epochs_ = 1;
  double pct_start_ = 0.3;
  double div_factor_ = 25;
  double final_div_factor_ = 1e4;
  bool cosine_anneal_ = true;
  bool cycle_momentum_ = true;
  double base_momentum_ = 0.85;
  double max_momentum_ = 0.95;
  int warmup_epochs_ = 0;
  double warmup_start_ = 0.1;
  // ReduceLROnPlateau
  std::string metric_;
  Params source_{YAML::Node(), "training.lr_scheduler", ""};
  bool maximize_ = false;
  double plateau_factor_ = 0.1;
  int patience_ = 10;
  double threshold_ = 1e-4;
  double min_lr_ = 0;
  int cooldown_ = 0;
  // plateau state: current factor, best metric, bad epochs, cooldown left
  double current_factor_ = 1.0;
  double best_ = 0;
  bool has_best_ = false;
  int bad_epochs_ = 0;
  int cooldown_left_ = 0;
};

}  // namespace quantlab

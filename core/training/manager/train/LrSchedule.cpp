#include "manager/train/LrSchedule.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <c10/util/Exception.h>

namespace quantlab {

namespace {

double positive_number(const Params& params, const std::string& key, double fallback) {
  const double value = params.get<double>(key, fallback);
  if (!(value > 0)) params.fail(key, "a positive number");
  return value;
}

int positive_int(const Params& params, const std::string& key, int fallback) {
  const int value = params.get<int>(key, fallback);
  if (value < 1) params.fail(key, "a positive integer");
  return value;
}

}  // namespace

LrSchedule LrSchedule::make(const Params& section, double base_lr, const std::string& main_metric,
                            bool higher_is_better) {
  LrSchedule schedule;
  schedule.base_lr_ = base_lr;
  schedule.source_ = section;
  if (section.keys().empty()) return schedule;

  const std::string name = section.get<std::string>("class");
  const Params params = section.at("params");
  if (name == "HandScheduler") {
    params.only({"schedule"});
    schedule.kind_ = Kind::hand;
    schedule.hand_ = params.get<std::map<int, double>>("schedule");
    for (const auto& [epoch, factor] : schedule.hand_)
      if (epoch < 0 || !(factor >= 0)) params.fail("schedule", "a map from epochs >= 0 to factors >= 0");
  } else if (name == "StepLR") {
    params.only({"step_size", "gamma"});
    schedule.kind_ = Kind::step;
    schedule.step_size_ = positive_int(params, "step_size", 30);
    schedule.gamma_ = positive_number(params, "gamma", 0.1);
  } else if (name == "MultiStepLR") {
    params.only({"milestones", "gamma"});
    schedule.kind_ = Kind::multi_step;
    schedule.milestones_ = params.get<std::vector<int>>("milestones");
    for (size_t i = 0; i < schedule.milestones_.size(); ++i)
      if (schedule.milestones_[i] < 0 || (i > 0 && schedule.milestones_[i] <= schedule.milestones_[i - 1]))
        params.fail("milestones", "a list of increasing epochs >= 0");
    schedule.gamma_ = positive_number(params, "gamma", 0.1);
  } else if (name == "CosineAnnealingLR") {
    params.only({"T_max", "eta_min"});
    schedule.kind_ = Kind::cosine;
    schedule.t_max_ = positive_int(params, "T_max", 1);
    schedule.eta_min_ = params.get<double>("eta_min", 0.0);
    if (schedule.eta_min_ < 0) params.fail("eta_min", "a non-negative number");
  } else if (name == "OneCycleLR") {
    params.only({"epochs", "pct_start", "div_factor", "final_div_factor", "anneal_strategy", "cycle_momentum",
                 "base_momentum", "max_momentum"});
    schedule.kind_ = Kind::one_cycle;
    schedule.cycle_epochs_ = params.get<int>("epochs");
    if (schedule.cycle_epochs_ < 1) params.fail("epochs", "a positive integer (the epochs of the cycle)");
    schedule.pct_start_ = params.get<double>("pct_start", 0.3);
    if (!(schedule.pct_start_ > 0 && schedule.pct_start_ < 1)) params.fail("pct_start", "a number in (0, 1)");
    schedule.div_factor_ = params.get<double>("div_factor", 25.0);
    if (!(schedule.div_factor_ >= 1)) params.fail("div_factor", "a number >= 1");
    schedule.final_div_factor_ = params.get<double>("final_div_factor", 1e4);
    if (!(schedule.final_div_factor_ >= 1)) params.fail("final_div_factor", "a number >= 1");
    const auto strategy = params.get<std::string>("anneal_strategy", "cos");
    if (strategy != "cos" && strategy != "linear") params.fail("anneal_strategy", "cos or linear");
    schedule.cosine_anneal_ = strategy == "cos";
    schedule.cycle_momentum_ = params.get<bool>("cycle_momentum", true);
    schedule.base_momentum_ = params.get<double>("base_momentum", 0.85);
    schedule.max_momentum_ = params.get<double>("max_momentum", 0.95);
    if (!(schedule.base_momentum_ >= 0 && schedule.base_momentum_ < 1))
      params.fail("base_momentum", "a number in [0, 1)");
    if (!(schedule.max_momentum_ >= schedule.base_momentum_ && schedule.max_momentum_ < 1))
      params.fail("max_momentum", "a number in [base_momentum, 1)");
  } else if (name == "ReduceLROnPlateau") {
    params.only({"mode", "factor", "patience", "threshold", "min_lr", "cooldown"});
    schedule.kind_ = Kind::plateau;
    schedule.maximize_ = higher_is_better;
    if (params.has("mode")) {
      const auto mode = params.get<std::string>("mode");
      if (mode != "min" && mode != "max") params.fail("mode", "min or max");
      schedule.maximize_ = mode == "max";
    }
    schedule.plateau_factor_ = positive_number(params, "factor", 0.1);
    if (schedule.plateau_factor_ >= 1) params.fail("factor", "a number below 1");
    schedule.patience_ = params.get<int>("patience", 10);
    if (schedule.patience_ < 0) params.fail("patience", "an integer >= 0");
    schedule.threshold_ = params.get<double>("threshold", 1e-4);
    schedule.min_lr_ = params.get<double>("min_lr", 0.0);
    schedule.cooldown_ = params.get<int>("cooldown", 0);
    if (schedule.cooldown_ < 0) params.fail("cooldown", "an integer >= 0");
  } else {
    section.fail("class",
                 "one of HandScheduler, StepLR, MultiStepLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau");
  }
  schedule.metric_ = section.get<std::string>("step_metric", main_metric);

  const Params warmup = section.at("warmup");
  warmup.only({"epochs", "start_factor"});
  if (warmup.has("epochs")) {
    // One-cycle has its own warm-up phase (pct_start).
    if (schedule.kind_ == Kind::one_cycle) warmup.fail("epochs", "no warmup with OneCycleLR (its pct_start warms up)");
    schedule.warmup_epochs_ = positive_int(warmup, "epochs", 1);
    schedule.warmup_start_ = positive_number(warmup, "start_factor", 0.1);
    if (schedule.warmup_start_ > 1) warmup.fail("start_factor", "a number in (0, 1]");
  }
  return schedule;
}

double LrSchedule::schedule_factor(int epoch) const {
  switch (kind_) {
    case Kind::constant: return 1.0;
    case Kind::hand: {
      auto after = hand_.upper_bound(epoch);
      return after == hand_.begin() ? 1.0 : std::prev(after)->second;
    }
    case Kind::step: return std::pow(gamma_, epoch / step_size_);
    case Kind::multi_step: {
      const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
      return std::pow(gamma_, static_cast<double>(passed));
    }
    case Kind::cosine: {
      const double t = std::min(epoch, t_max_);
      const double lr = eta_min_ + (base_lr_ - eta_min_) * (1 + std::cos(M_PI * t / t_max_)) / 2;
      // A base rate of 0 (weights held, e.g. to gather statistics) stays 0.
      return base_lr_ == 0.0 ? 0.0 : lr / base_lr_;
    }
    case Kind::plateau: return current_factor_;
    case Kind::one_cycle: return 1.0;  // learning_rate reads the cycle
  }
  return 1.0;
}

namespace {

// From `from` at t = 0 to `to` at t = 1.
double anneal(double from, double to, double t, bool cosine) {
  return cosine ? to + (from - to) * (1 + std::cos(M_PI * t)) / 2 : from + (to - from) * t;
}

}  // namespace

double LrSchedule::cycle_position(int epoch, double progress) const {
  return std::clamp((epoch + progress) / cycle_epochs_, 0.0, 1.0);
}

double LrSchedule::learning_rate(int epoch, double progress) const {
  if (kind_ == Kind::one_cycle) {
    const double t = cycle_position(epoch, progress);
    const double initial = base_lr_ / div_factor_;
    if (t < pct_start_) return anneal(initial, base_lr_, t / pct_start_, cosine_anneal_);
    return anneal(base_lr_, initial / final_div_factor_, (t - pct_start_) / (1 - pct_start_), cosine_anneal_);
  }
  double warm = 1.0;
  if (epoch < warmup_epochs_)
    warm = warmup_start_ + (1.0 - warmup_start_) * static_cast<double>(epoch) / warmup_epochs_;
  return base_lr_ * warm * schedule_factor(epoch);
}

std::optional<double> LrSchedule::momentum(int epoch, double progress) const {
  if (kind_ != Kind::one_cycle || !cycle_momentum_) return std::nullopt;
  const double t = cycle_position(epoch, progress);
  if (t < pct_start_) return anneal(max_momentum_, base_momentum_, t / pct_start_, cosine_anneal_);
  return anneal(base_momentum_, max_momentum_, (t - pct_start_) / (1 - pct_start_), cosine_anneal_);
}

void LrSchedule::step(int, const std::map<std::string, double>& metrics) {
  if (kind_ != Kind::plateau) return;
  const auto found = metrics.find(metric_);
  if (found == metrics.end()) {
    std::string known;
    for (const auto& [name, value] : metrics) known += (known.empty() ? "" : ", ") + name;
    source_.fail("step_metric", "a metric of the meter (" + known + ")");
  }
  const double value = found->second;
  const bool better = !has_best_ || (maximize_ ? value > best_ * (1 + threshold_) : value < best_ * (1 - threshold_));
  if (better) {
    best_ = value;
    has_best_ = true;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  if (cooldown_left_ > 0) {
    --cooldown_left_;
    bad_epochs_ = 0;
  }
  if (bad_epochs_ > patience_) {
    current_factor_ = std::max(current_factor_ * plateau_factor_, base_lr_ == 0.0 ? 0.0 : min_lr_ / base_lr_);
    cooldown_left_ = cooldown_;
    bad_epochs_ = 0;
  }
}

std::vector<double> LrSchedule::state() const {
  return {current_factor_, best_, has_best_ ? 1.0 : 0.0, static_cast<double>(bad_epochs_),
          static_cast<double>(cooldown_left_)};
}

void LrSchedule::load_state(const std::vector<double>& state) {
  TORCH_CHECK(state.size() == 5, "LR schedule state of ", state.size(), " values, expected 5");
  // Counts must be whole numbers an int holds (a damaged checkpoint can hold
  // anything, and converting NaN or 1e300 to int is undefined).
  auto count = [](double value, const char* what) {
    TORCH_CHECK(value >= 0 && value <= std::numeric_limits<int>::max() && value == std::floor(value),
                "LR schedule state: ", what, " is ", value, ", expected a count");
    return static_cast<int>(value);
  };
  TORCH_CHECK(std::isfinite(state[0]) && state[0] >= 0, "LR schedule state: factor ", state[0],
              ", expected a finite non-negative number");
  const int bad_epochs = count(state[3], "bad epochs");
  const int cooldown_left = count(state[4], "cooldown");
  current_factor_ = state[0];
  best_ = state[1];
  has_best_ = state[2] != 0;
  bad_epochs_ = bad_epochs;
  cooldown_left_ = cooldown_left;
}

}  // namespace quantlab

#include <catch2/catch.hpp>

#include <limits>

#include <cmath>

#include <torch/torch.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/train/LrSchedule.h"
#include "manager/train/Optimizers.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {
LrSchedule make(const std::string& yaml, double lr = 0.1, bool higher = false) {
  return LrSchedule::make(Params(parse_yaml(yaml, "s.yaml"), "training.lr_scheduler", "s.yaml"), lr, "top1_error",
                          higher);
}
}  // namespace

TEST_CASE("no scheduler keeps the learning rate", "[lr]") {
  const auto schedule = make("{}");
  CHECK(schedule.learning_rate(0) == Approx(0.1));
  CHECK(schedule.learning_rate(50) == Approx(0.1));
}

TEST_CASE("hand, step, multi-step and cosine schedules follow their formulas", "[lr]") {
  const auto hand = make("{class: HandScheduler, params: {schedule: {2: 0.5, 5: 0.1}}}");
  CHECK(hand.learning_rate(1) == Approx(0.1));
  CHECK(hand.learning_rate(2) == Approx(0.05));
  CHECK(hand.learning_rate(4) == Approx(0.05));
  CHECK(hand.learning_rate(9) == Approx(0.01));

  const auto step = make("{class: StepLR, params: {step_size: 3, gamma: 0.5}}");
  CHECK(step.learning_rate(2) == Approx(0.1));
  CHECK(step.learning_rate(3) == Approx(0.05));
  CHECK(step.learning_rate(6) == Approx(0.025));

  const auto multi = make("{class: MultiStepLR, params: {milestones: [2, 4], gamma: 0.1}}");
  CHECK(multi.learning_rate(1) == Approx(0.1));
  CHECK(multi.learning_rate(2) == Approx(0.01));
  CHECK(multi.learning_rate(5) == Approx(0.001));

  const auto cosine = make("{class: CosineAnnealingLR, params: {T_max: 10, eta_min: 0.001}}");
  CHECK(cosine.learning_rate(0) == Approx(0.1));
  CHECK(cosine.learning_rate(5) == Approx(0.001 + 0.099 * 0.5));
  CHECK(cosine.learning_rate(10) == Approx(0.001));
  CHECK(cosine.learning_rate(3) == Approx(0.001 + 0.099 * (1 + std::cos(M_PI * 0.3)) / 2));
}

TEST_CASE("a base learning rate of 0 stays 0, not NaN, under cosine annealing", "[lr]") {
  const auto cosine = make("{class: CosineAnnealingLR, params: {T_max: 1, eta_min: 0.0}}", 0.0);
  for (int epoch : {0, 1, 2}) {
    CAPTURE(epoch);
    CHECK(cosine.learning_rate(epoch) == 0.0);
  }
}

TEST_CASE("linear warm-up scales the first epochs", "[lr]") {
  const auto warm = make("{class: StepLR, params: {step_size: 100}, warmup: {epochs: 4, start_factor: 0.2}}");
  CHECK(warm.learning_rate(0) == Approx(0.02));
  CHECK(warm.learning_rate(2) == Approx(0.1 * (0.2 + 0.8 * 0.5)));
  CHECK(warm.learning_rate(4) == Approx(0.1));
}

TEST_CASE("a schedule state no schedule could have written is refused", "[lr]") {
  // A damaged checkpoint's NaN counted bad epochs (found by the checkpoint
  // fuzz target) was converted to int: undefined behaviour.
  auto plateau = make("{class: ReduceLROnPlateau, params: {factor: 0.5, patience: 1}}");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(plateau.load_state({1.0, 9.0, 1.0, nan, 0.0}), Catch::Contains("bad epochs is nan, expected a count"));
  CHECK_THROWS_WITH(plateau.load_state({1.0, 9.0, 1.0, 0.0, 1e300}), Catch::Contains("cooldown is 1e+300"));
  CHECK_THROWS_WITH(plateau.load_state({1.0, 9.0, 1.0, 1.5, 0.0}), Catch::Contains("bad epochs is 1.5"));
  CHECK_THROWS_WITH(plateau.load_state({-1.0, 9.0, 1.0, 0.0, 0.0}), Catch::Contains("factor -1"));
  CHECK_NOTHROW(plateau.load_state({0.5, 9.0, 1.0, 2.0, 1.0}));
  CHECK(plateau.learning_rate(0) == Approx(0.05));
}

TEST_CASE("reduce-on-plateau lowers the rate after patience and keeps its state", "[lr]") {
  auto plateau = make("{class: ReduceLROnPlateau, params: {factor: 0.5, patience: 1, min_lr: 0.03}}");
  plateau.step(0, {{"top1_error", 10.0}});
  plateau.step(1, {{"top1_error", 9.0}});
  CHECK(plateau.learning_rate(2) == Approx(0.1));
  plateau.step(2, {{"top1_error", 9.5}});
  CHECK(plateau.learning_rate(3) == Approx(0.1));
  plateau.step(3, {{"top1_error", 9.5}});
  CHECK(plateau.learning_rate(4) == Approx(0.05));

  auto resumed = make("{class: ReduceLROnPlateau, params: {factor: 0.5, patience: 1, min_lr: 0.03}}");
  resumed.load_state(plateau.state());
  CHECK(resumed.learning_rate(4) == Approx(0.05));
  plateau.step(4, {{"top1_error", 9.9}});
  plateau.step(5, {{"top1_error", 9.9}});
  resumed.step(4, {{"top1_error", 9.9}});
  resumed.step(5, {{"top1_error", 9.9}});
  CHECK(plateau.learning_rate(6) == Approx(0.03));  // floored at min_lr
  CHECK(resumed.learning_rate(6) == Approx(plateau.learning_rate(6)));

  auto higher = make("{class: ReduceLROnPlateau, params: {factor: 0.5, patience: 0}}", 0.1, true);
  higher.step(0, {{"top1_error", 10.0}});
  higher.step(1, {{"top1_error", 11.0}});
  CHECK(higher.learning_rate(2) == Approx(0.1));  // higher is better: an improvement

  auto unknown = make("{class: ReduceLROnPlateau, step_metric: accuracy}");
  CHECK_THROWS_WITH(unknown.step(0, {{"top1_error", 1.0}}),
                    Catch::Contains("training.lr_scheduler.step_metric: expected a metric of the meter (top1_error)"));
}

TEST_CASE("bad schedules are refused naming the key", "[lr]") {
  CHECK_THROWS_WITH(make("{class: Nope}"), Catch::Contains("training.lr_scheduler.class: expected one of HandScheduler"));
  CHECK_THROWS_WITH(make("{class: MultiStepLR, params: {milestones: [4, 2]}}"),
                    Catch::Contains("training.lr_scheduler.params.milestones: expected a list of increasing epochs"));
  CHECK_THROWS_WITH(make("{class: HandScheduler, params: {schedule: {-1: 0.5}}}"),
                    Catch::Contains("params.schedule: expected a map from epochs >= 0"));
  CHECK_THROWS_WITH(make("{class: StepLR, params: {step_size: 0}}"),
                    Catch::Contains("params.step_size: expected a positive integer"));
  CHECK_THROWS_WITH(make("{class: StepLR, params: {stepsize: 2}}"),
                    Catch::Contains("params.stepsize: unknown key; expected one of"));
}

TEST_CASE("one-cycle rises to the base rate over pct_start, anneals to its floor, and cycles momentum the other "
          "way, batch by batch", "[lr]") {
  const auto cycle = make("{class: OneCycleLR, params: {epochs: 10, pct_start: 0.3}}", 0.5);
  CHECK(cycle.per_batch());
  const double initial = 0.5 / 25;
  CHECK(cycle.learning_rate(0) == Approx(initial));
  // Halfway up the cosine: epoch 1.5 of the 3 warm-up epochs.
  CHECK(cycle.learning_rate(1, 0.5) == Approx((initial + 0.5) / 2));
  CHECK(cycle.learning_rate(3) == Approx(0.5));
  CHECK(cycle.learning_rate(10) == Approx(initial / 1e4));
  CHECK(cycle.learning_rate(12) == Approx(initial / 1e4));  // past the cycle it stays at the floor
  CHECK(cycle.learning_rate(6, 0.5) == Approx((0.5 + initial / 1e4) / 2));
  CHECK(cycle.learning_rate(4, 0.25) < cycle.learning_rate(4, 0.0));
  CHECK(*cycle.momentum(0) == Approx(0.95));
  CHECK(*cycle.momentum(3) == Approx(0.85));
  CHECK(*cycle.momentum(6, 0.5) == Approx(0.90));
  CHECK(*cycle.momentum(10) == Approx(0.95));

  const auto linear = make(
      "{class: OneCycleLR, params: {epochs: 4, pct_start: 0.25, anneal_strategy: linear, div_factor: 10, "
      "final_div_factor: 100, cycle_momentum: false}}",
      1.0);
  CHECK(linear.learning_rate(0, 0.5) == Approx(0.1 + 0.9 * 0.5));
  CHECK(linear.learning_rate(2, 0.5) == Approx(1.0 + (0.001 - 1.0) * 0.5));
  CHECK_FALSE(linear.momentum(1).has_value());

  const auto cosine = make("{class: CosineAnnealingLR, params: {T_max: 10}}");
  CHECK_FALSE(cosine.per_batch());
  CHECK_FALSE(cosine.momentum(0).has_value());

  CHECK_THROWS_WITH(make("{class: OneCycleLR, params: {}}"),
                    Catch::Contains("training.lr_scheduler.params.epochs: expected a value for this required key"));
  CHECK_THROWS_WITH(make("{class: OneCycleLR, params: {epochs: 5, pct_start: 1}}"),
                    Catch::Contains("params.pct_start: expected a number in (0, 1)"));
  CHECK_THROWS_WITH(make("{class: OneCycleLR, params: {epochs: 5, anneal_strategy: exp}}"),
                    Catch::Contains("params.anneal_strategy: expected cos or linear"));
  CHECK_THROWS_WITH(make("{class: OneCycleLR, params: {epochs: 5, base_momentum: 0.99}}"),
                    Catch::Contains("params.max_momentum: expected a number in [base_momentum, 1)"));
  CHECK_THROWS_WITH(make("{class: OneCycleLR, params: {epochs: 5}, warmup: {epochs: 2}}"),
                    Catch::Contains("training.lr_scheduler.warmup.epochs: expected no warmup with OneCycleLR"));
}

TEST_CASE("optimizers are made by name and refuse unknown names and parameters", "[lr]") {
  auto weight = torch::zeros({3}, torch::requires_grad());
  auto section = [](const std::string& yaml) {
    return Params(parse_yaml(yaml, "o.yaml"), "training.optimizer", "o.yaml");
  };
  for (const char* name : {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad"}) {
    auto optimizer = make_optimizer(section(std::string("{class: ") + name + ", params: {lr: 0.5}}"), {weight});
    CHECK(learning_rate(*optimizer) == Approx(0.5));
    set_learning_rate(*optimizer, 0.25);
    CHECK(learning_rate(*optimizer) == Approx(0.25));
    // One-cycle's momentum goes to SGD's and RMSprop's momentum, Adam's beta1.
    CHECK(has_momentum(*optimizer) == (std::string(name) != "Adagrad"));
    CHECK(set_momentum(*optimizer, 0.8) == has_momentum(*optimizer));
  }
  auto sgd = make_optimizer(section("{class: SGD, params: {lr: 0.5, momentum: 0.9}}"), {weight});
  set_momentum(*sgd, 0.85);
  CHECK(static_cast<torch::optim::SGDOptions&>(sgd->param_groups().front().options()).momentum() == 0.85);
  auto adam = make_optimizer(section("{class: Adam, params: {lr: 0.5, betas: [0.9, 0.99]}}"), {weight});
  set_momentum(*adam, 0.85);
  const auto betas = static_cast<torch::optim::AdamOptions&>(adam->param_groups().front().options()).betas();
  CHECK(std::get<0>(betas) == 0.85);
  CHECK(std::get<1>(betas) == 0.99);
  CHECK_THROWS_WITH(make_optimizer(section("{class: LBFGS}"), {weight}),
                    Catch::Contains("training.optimizer.class: expected one of SGD, Adam"));
  CHECK_THROWS_WITH(make_optimizer(section("{class: SGD, params: {lr: 0.1, momentun: 0.9}}"), {weight}),
                    Catch::Contains("training.optimizer.params.momentun: unknown key; expected one of"));
  CHECK_THROWS_WITH(make_optimizer(section("{class: SGD, params: {lr: -1}}"), {weight}),
                    Catch::Contains("training.optimizer.params.lr: expected a non-negative number, got -1"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

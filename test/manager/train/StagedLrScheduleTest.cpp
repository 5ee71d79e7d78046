// The learning rate of training.stages: one schedule per stage, counted from
// the stage's first epoch, each stage's plateau state in the schedule's state.
#include <catch2/catch.hpp>

#include <cmath>

#include "manager/config/ExperimentConfig.h"
#include "manager/train/StagedLrSchedule.h"
#include "support/ErrorMessage.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {

ExperimentConfig config_of(const std::string& training) {
  const std::string text = "experiment: {n_epochs: 8}\nnetwork: {class: SimpleCNN}\ntraining:\n"
                           "  loss_function: {class: CrossEntropyLoss}\n"
                           "  optimizer: {class: SGD, params: {lr: 0.1}}\n" +
                           training;
  return ExperimentConfig::parse(parse_yaml(text, "s.yaml"), "s.yaml");
}

StagedLrSchedule make(const std::string& training) {
  return StagedLrSchedule::make(config_of(training), 0.1, "top1_error", false);
}

}  // namespace

TEST_CASE("each stage follows its own schedule from its first epoch and its own base rate", "[lr][stages]") {
  const auto schedule = make(R"(
  lr_scheduler: {class: StepLR, params: {step_size: 1, gamma: 0.5}}
  stages:
    - {epochs: [0, 4], lr_scheduler: {class: CosineAnnealingLR, params: {T_max: 4}}, lr: 0.001}
    - {epochs: [4, 6], lr: 0.0005}
    - {epochs: [6, 8]}
)");
  CHECK(schedule.stage_of(0) == 0);
  CHECK(schedule.stage_of(3) == 0);
  CHECK(schedule.stage_of(4) == 1);
  CHECK(schedule.stage_of(7) == 2);
  // Stage 0: cosine over 4 epochs from 0.001.
  for (int e = 0; e < 4; ++e) CHECK(schedule.learning_rate(e) == Approx(0.0005 * (1 + std::cos(M_PI * e / 4))));
  // Stage 1: training.lr_scheduler (StepLR, halving) restarted at epoch 4 from its lr.
  CHECK(schedule.learning_rate(4) == Approx(0.0005));
  CHECK(schedule.learning_rate(5) == Approx(0.00025));
  // Stage 2: the same from training.optimizer's rate.
  CHECK(schedule.learning_rate(6) == Approx(0.1));
  CHECK(schedule.learning_rate(7) == Approx(0.05));
}

TEST_CASE("without stages the schedule is training.lr_scheduler alone", "[lr][stages]") {
  const auto schedule = make("  lr_scheduler: {class: StepLR, params: {step_size: 2, gamma: 0.1}}\n");
  CHECK(schedule.stage_of(7) == 0);
  CHECK(schedule.learning_rate(0) == Approx(0.1));
  CHECK(schedule.learning_rate(2) == Approx(0.01));
  CHECK(schedule.state().size() == 5);  // as checkpoints of unstaged experiments hold it
}

TEST_CASE("each stage's plateau state travels in the schedule's state", "[lr][stages]") {
  const std::string stages = R"(
  stages:
    - {epochs: [0, 4], lr_scheduler: {class: ReduceLROnPlateau, params: {factor: 0.5, patience: 0}}}
    - {epochs: [4, 8], lr_scheduler: {class: ReduceLROnPlateau, params: {factor: 0.1, patience: 0}}, lr: 0.01}
)";
  auto schedule = make(stages);
  schedule.step(0, {{"top1_error", 10.0}});
  schedule.step(1, {{"top1_error", 11.0}});  // worse: stage 0 halves
  CHECK(schedule.learning_rate(2) == Approx(0.05));
  CHECK(schedule.learning_rate(4) == Approx(0.01));  // stage 1 untouched
  schedule.step(4, {{"top1_error", 9.0}});
  schedule.step(5, {{"top1_error", 9.5}});  // worse: stage 1 divides by 10
  CHECK(schedule.learning_rate(6) == Approx(0.001));
  CHECK(schedule.state().size() == 10);

  auto resumed = make(stages);
  resumed.load_state(schedule.state());
  CHECK(resumed.learning_rate(3) == Approx(0.05));
  CHECK(resumed.learning_rate(6) == Approx(0.001));
  CHECK_THROWS(resumed.load_state(std::vector<double>(7, 0.0)));
  CHECK(test::error_message_of<ConfigError>([&] {
          make("  stages:\n    - {epochs: [0, 8], lr_scheduler: {class: StepLR, params: {step_size: 0}}}\n");
        }) == "s.yaml: training.stages[0].lr_scheduler.params.step_size: expected a positive integer, got 0");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

#include "quantlib/algorithms/ana/AnaController.h"

#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlib::AnaController;
using quantlib::AnaGroup;
using quantlib::AnaSchedule;
using quantlib::nn::AnaQuantizer;
namespace ops = quantlib::ops;

namespace {

std::shared_ptr<AnaQuantizer> make_quantizer() {
  return std::make_shared<AnaQuantizer>(ops::AnaLevels::Ternary, 3, ops::AnaNoise::Uniform,
                                        ops::AnaForward::Expectation);
}

struct Rig {
  std::shared_ptr<AnaQuantizer> weights = make_quantizer();
  std::shared_ptr<AnaQuantizer> activations = make_quantizer();
  std::shared_ptr<AnaQuantizer> more_activations = make_quantizer();
  AnaController controller{std::vector<AnaGroup>{
      {{weights}, AnaSchedule{1.0, 2.0, 2, 6}},
      {{activations, more_activations}, AnaSchedule{0.5, 0.25, 0, 4}},
  }};
  torch::Tensor parameter = torch::zeros({1}, torch::requires_grad());
  torch::optim::SGD optimizer{std::vector<torch::Tensor>{parameter}, torch::optim::SGDOptions(0.1)};

  // s_fwd and s_bwd of every quantizer, in a fixed order.
  std::vector<double> noise() const {
    std::vector<double> values;
    for (const auto& quantizer : {weights, activations, more_activations}) {
      values.push_back(quantizer->s_fwd());
      values.push_back(quantizer->s_bwd());
    }
    return values;
  }
};

// s_fwd and s_bwd are float buffers.
std::vector<double> as_floats(std::vector<double> values) {
  for (double& value : values) value = static_cast<float>(value);
  return values;
}

}  // namespace

TEST_CASE("AnaController holds the noise before the start epoch and decays it linearly to 0 at the end",
          "[ana]") {
  Rig rig;
  // Weights: (1, 2) until epoch 2, 0 from epoch 6. Activations: (0.5, 0.25) at 0, 0 from 4.
  rig.controller.step_pre_training(0, rig.optimizer);
  CHECK(rig.noise() == as_floats({1.0, 2.0, 0.5, 0.25, 0.5, 0.25}));
  rig.controller.step_pre_training(2, rig.optimizer);
  CHECK(rig.noise() == as_floats({1.0, 2.0, 0.25, 0.125, 0.25, 0.125}));
  rig.controller.step_pre_training(3, rig.optimizer);
  CHECK(rig.noise() == as_floats({0.75, 1.5, 0.125, 0.0625, 0.125, 0.0625}));
  // Within epoch 4, batch 5 of 10: p = 4.5.
  rig.controller.step_pre_batch(4, 5, 10);
  CHECK(rig.noise() == as_floats({0.375, 0.75, 0.0, 0.0, 0.0, 0.0}));
  // Within epoch 1, batch 1 of 4: p = 1.25, the weights still constant.
  rig.controller.step_pre_batch(1, 1, 4);
  CHECK(rig.noise() == as_floats({1.0, 2.0, 0.5 * 2.75 / 4, 0.25 * 2.75 / 4, 0.5 * 2.75 / 4, 0.25 * 2.75 / 4}));
  for (int epoch : {6, 7, 50}) {
    rig.controller.step_pre_training(epoch, rig.optimizer);
    CHECK(rig.noise() == std::vector<double>(6, 0.0));
  }
  rig.controller.step_pre_validation(50);
  CHECK(rig.noise() == std::vector<double>(6, 0.0));
}

TEST_CASE("AnaController resumed from its saved state continues the uninterrupted schedule", "[ana]") {
  const int epochs = 8;
  const int64_t batches = 3;
  const int interrupt_after = 3;  // epochs 0..3 done, resume at 4

  Rig uninterrupted;
  std::vector<std::vector<double>> expected;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    uninterrupted.controller.step_pre_training(epoch, uninterrupted.optimizer);
    for (int64_t batch = 0; batch < batches; ++batch) {
      uninterrupted.controller.step_pre_batch(epoch, batch, batches);
      expected.push_back(uninterrupted.noise());
    }
    uninterrupted.controller.step_pre_validation(epoch);
  }

  std::stringstream stream;
  std::vector<double> noise_when_saved;
  {
    Rig first;
    for (int epoch = 0; epoch <= interrupt_after; ++epoch) {
      first.controller.step_pre_training(epoch, first.optimizer);
      for (int64_t batch = 0; batch < batches; ++batch) first.controller.step_pre_batch(epoch, batch, batches);
      first.controller.step_pre_validation(epoch);
    }
    noise_when_saved = first.noise();
    torch::serialize::OutputArchive archive;
    first.controller.save(archive);
    archive.save_to(stream);
  }

  Rig resumed;
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  resumed.controller.load(archive);
  CHECK(resumed.noise() == noise_when_saved);
  CHECK(resumed.controller.position() == Approx(interrupt_after + (batches - 1.0) / batches));
  std::vector<std::vector<double>> continued;
  for (int epoch = interrupt_after + 1; epoch < epochs; ++epoch) {
    resumed.controller.step_pre_training(epoch, resumed.optimizer);
    for (int64_t batch = 0; batch < batches; ++batch) {
      resumed.controller.step_pre_batch(epoch, batch, batches);
      continued.push_back(resumed.noise());
    }
  }
  const std::vector<std::vector<double>> expected_tail(expected.begin() + (interrupt_after + 1) * batches,
                                                       expected.end());
  CHECK(continued == expected_tail);
  // The schedule did move over the resumed part, so the comparison means something.
  CHECK(expected_tail.front() != expected_tail.back());
}

TEST_CASE("AnaController refuses a schedule out of range", "[ana]") {
  const auto quantizer = make_quantizer();
  CHECK_THROWS_AS(AnaController({quantizer}, AnaSchedule{-1.0, 1.0, 0, 4}), c10::Error);
  CHECK_THROWS_AS(AnaController({quantizer}, AnaSchedule{1.0, 1.0, 5, 4}), c10::Error);
  CHECK_THROWS_AS(AnaController({quantizer}, AnaSchedule{1.0, 1.0, -1, 4}), c10::Error);
  CHECK_THROWS_AS(AnaController({nullptr}, AnaSchedule{1.0, 1.0, 0, 4}), c10::Error);
  // start == end: the noise holds until the end epoch and is 0 from there on.
  AnaController step({quantizer}, AnaSchedule{1.0, 1.0, 3, 3});
  CHECK(step.final_epoch() == 3);
  step.step_pre_batch(2, 9, 10);
  CHECK(quantizer->s_fwd() == 1.0);
  step.step_pre_batch(3, 0, 10);
  CHECK(quantizer->s_fwd() == 0.0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

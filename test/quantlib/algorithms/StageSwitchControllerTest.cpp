// Training stages switch named quantizers on at their first epoch, whatever
// the quantizers' own start_epoch.
#include <catch2/catch.hpp>

#include <algorithm>

#include <torch/torch.h>

#include "quantlib/algorithms/StageSwitchController.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/recipes/RuleRecipe.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;

namespace {

// conv -> bn -> relu -> flatten -> fc, binary weights on both, a binary
// activation after bn1 (from epoch 3 by its own start_epoch) and a PACT
// replacing relu1.
struct Quantized {
  nn::Sequential net;
  Controllers controllers;
};

Quantized quantized_network() {
  torch::manual_seed(5);
  Quantized q;
  q.net->push_back("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1).bias(false)));
  q.net->push_back("bn1", torch::nn::BatchNorm2d(4));
  q.net->push_back("relu1", torch::nn::ReLU());
  q.net->push_back("flatten", torch::nn::Flatten());
  q.net->push_back("fc1", torch::nn::Linear(4 * 5 * 5, 3));
  const YAML::Node recipe = YAML::Load(R"(
rules:
  - select: {name: [conv1, fc1]}
    weight: {algorithm: binary}
  - select: {name: bn1}
    output: {algorithm: binary, start_epoch: 3}
  - select: {name: relu1}
    replace: {algorithm: pact, bits: 2, alpha: 1.0}
)");
  q.controllers = recipes::apply_rules(*q.net, quantlab::Params(recipe, "network.quantize.params", "recipe.yaml"));
  return q;
}

// Their names, sorted.
std::vector<std::string> names(const std::vector<NamedQuantizer>& quantizers) {
  std::vector<std::string> out;
  for (const auto& quantizer : quantizers) out.push_back(quantizer.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<nn::Quantizer> named(const std::vector<NamedQuantizer>& quantizers, const std::string& name) {
  for (const auto& quantizer : quantizers)
    if (quantizer.name == name) return quantizer.quantizer;
  FAIL("no quantizer " << name);
  return nullptr;
}

}  // namespace

TEST_CASE("quantizers are named as named_modules and checkpoints name them", "[stages]") {
  auto q = quantized_network();
  const auto all = named_quantizers(*q.net);
  CHECK(names(all) == std::vector<std::string>{"bn1_output_quantizer", "conv1.weight_quantizer",
                                                "fc1.weight_quantizer", "relu1_output_quantizer"});
  CHECK(q.net->named_parameters().contains("relu1_output_quantizer.alpha"));
  CHECK(names(quantizers_matching(all, "weights")) ==
        std::vector<std::string>{"conv1.weight_quantizer", "fc1.weight_quantizer"});
  CHECK(names(quantizers_matching(all, "activations")) ==
        std::vector<std::string>{"bn1_output_quantizer", "relu1_output_quantizer"});
  CHECK(names(quantizers_matching(all, "*_output_quantizer")) ==
        std::vector<std::string>{"bn1_output_quantizer", "relu1_output_quantizer"});
  CHECK(names(quantizers_matching(all, "fc?.weight*")) == std::vector<std::string>{"fc1.weight_quantizer"});
  CHECK(quantizers_matching(all, "conv2.weight_quantizer").empty());
}

TEST_CASE("a stage switches its quantizers on at its first epoch, overriding their start_epoch", "[stages]") {
  auto q = quantized_network();
  const auto all = named_quantizers(*q.net);
  // Stage 1 from epoch 2: the bn1 activation (own start 3) and fc1's weights (own start 0).
  std::vector<StageSwitchController::Switch> switches;
  for (const char* name : {"bn1_output_quantizer", "fc1.weight_quantizer"})
    for (const auto& quantizer : quantizers_matching(all, name)) switches.push_back({quantizer.quantizer, 2});
  q.controllers.push_back(std::make_shared<StageSwitchController>(switches));
  CHECK(std::dynamic_pointer_cast<StageSwitchController>(q.controllers.back())->switched_on_at(2) == 2);
  CHECK(std::dynamic_pointer_cast<StageSwitchController>(q.controllers.back())->switched_on_at(1) == 0);

  torch::optim::SGD optimizer(q.net->parameters(), torch::optim::SGDOptions(0.1));
  const auto bn1 = named(all, "bn1_output_quantizer");
  const auto fc1 = named(all, "fc1.weight_quantizer");
  const auto conv1 = named(all, "conv1.weight_quantizer");
  const torch::Tensor x = torch::randn({3, 4});
  for (int epoch = 0; epoch < 5; ++epoch) {
    for (auto& controller : q.controllers) controller->step_pre_training(epoch, optimizer);
    INFO("epoch " << epoch);
    CHECK(bn1->enabled() == (epoch >= 2));  // not its own 3
    CHECK(fc1->enabled() == (epoch >= 2));  // not its own 0
    CHECK(conv1->enabled());                // no stage names it: its own start_epoch 0
    // Off: the identity; on: binary levels.
    if (epoch < 2)
      CHECK(torch::equal(bn1->forward(x), x));
    else
      CHECK(torch::equal(bn1->forward(x).abs(), torch::ones_like(x)));
    for (auto& controller : q.controllers) controller->step_pre_validation(epoch);
    CHECK(bn1->enabled() == (epoch >= 2));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

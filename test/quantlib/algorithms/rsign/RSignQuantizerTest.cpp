#include "quantlib/algorithms/rsign/RSignQuantizer.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/ops/RSign.h"
#include "quantlib/recipes/RuleRecipe.h"
#include "support/ErrorMessage.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlib::nn::RSignQuantizer;
namespace nn = quantlib::nn;
namespace recipes = quantlib::recipes;

quantlab::Params params_of(const std::string& yaml) {
  return quantlab::Params(YAML::Load(yaml), "network.quantize.params", "recipe.yaml");
}

// conv1 (1 -> 4) -> bn1 -> relu1 -> conv2 (4 -> 6) -> flatten -> fc (6*5*5 -> 3).
nn::Sequential small_network() {
  torch::manual_seed(5);
  nn::Sequential net;
  net->push_back("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1).bias(false)));
  net->push_back("bn1", torch::nn::BatchNorm2d(4));
  net->push_back("relu1", torch::nn::ReLU());
  net->push_back("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1)));
  net->push_back("flatten", torch::nn::Flatten());
  net->push_back("fc", torch::nn::Linear(6 * 5 * 5, 3));
  return net;
}

TEST_CASE("RSignQuantizer is rsign with a learned threshold per channel, identity while disabled", "[rsign]") {
  torch::manual_seed(4);
  RSignQuantizer quantizer(3);
  REQUIRE(quantizer.named_parameters().contains("threshold"));
  CHECK(quantizer.threshold().sizes() == torch::IntArrayRef({3}));
  CHECK(quantizer.bits() == 1);
  {
    torch::NoGradGuard no_grad;
    quantizer.named_parameters()["threshold"].copy_(torch::tensor({0.1f, -0.2f, 0.3f}));
  }
  const torch::Tensor x = torch::randn({2, 3, 4, 4});
  CHECK(torch::equal(quantizer.forward(x), quantlib::ops::rsign(x, quantizer.threshold())));

  // The threshold trains: it gets a gradient through the quantizer.
  quantizer.forward(x.clone().requires_grad_()).sum().backward();
  REQUIRE(quantizer.threshold().grad().defined());
  CHECK(quantizer.threshold().grad().ne(0).any().item<bool>());

  RSignQuantizer loaded(3);
  quantlab::test::copy_state(quantizer, loaded);
  CHECK(torch::equal(loaded.forward(x), quantizer.forward(x)));
  loaded.set_enabled(false);
  CHECK(torch::equal(loaded.forward(x), x));
}

TEST_CASE("RSignQuantizer's integer grid is one threshold per channel: -1 below, +1 from it on", "[rsign]") {
  RSignQuantizer quantizer(2);
  {
    torch::NoGradGuard no_grad;
    quantizer.named_parameters()["threshold"].copy_(torch::tensor({0.25f, -1.5f}));
  }
  const auto grid = quantizer.integer_grid();
  REQUIRE(grid.form == nn::IntegerGrid::Form::Thresholds);
  REQUIRE(grid.channel_thresholds.sizes() == torch::IntArrayRef({2, 1}));
  CHECK(grid.lo == -1);
  CHECK(grid.hi == 1);
  // The grid reproduces the quantizer: lo + gain * #{thresholds reached}.
  const torch::Tensor x = torch::tensor({0.25f, 0.2f, -1.5f, -1.6f}).reshape({1, 2, 2});
  const torch::Tensor reached = x.to(torch::kDouble).ge(grid.channel_thresholds.reshape({1, 2, 1})).to(torch::kDouble);
  CHECK(torch::equal(quantizer.forward(x).to(torch::kDouble), grid.lo + grid.gain * reached));
}

TEST_CASE("rules put an rsign with one threshold per channel at a conv's input or a batch norm's output", "[rsign]") {
  auto net = small_network();
  recipes::apply_rules(*net, params_of(R"(
rules:
  - select: {name: conv2}
    input: {algorithm: rsign}
  - select: {name: bn1}
    output: {algorithm: rsign, start_epoch: 1}
  - select: {name: fc}
    input: {algorithm: rsign}
)"));
  const auto conv2 = std::dynamic_pointer_cast<RSignQuantizer>(net->input_quantizer("conv2"));
  const auto bn1 = std::dynamic_pointer_cast<RSignQuantizer>(net->output_quantizer("bn1"));
  const auto fc = std::dynamic_pointer_cast<RSignQuantizer>(net->input_quantizer("fc"));
  REQUIRE(conv2);
  REQUIRE(bn1);
  REQUIRE(fc);
  CHECK(conv2->threshold().numel() == 4);
  CHECK(bn1->threshold().numel() == 4);
  CHECK(fc->threshold().numel() == 150);
  CHECK(net->forward(torch::randn({2, 1, 5, 5})).sizes() == torch::IntArrayRef({2, 3}));
}

TEST_CASE("rules refuse rsign where the channel count is unknown and on weights", "[rsign]") {
  const auto error = [](const std::string& yaml) {
    return quantlab::test::error_message_of<quantlab::ConfigError>(
        [&] { auto net = small_network(); recipes::apply_rules(*net, params_of(yaml)); });
  };
  const std::string on_relu = error("rules: [{select: {name: relu1}, output: {algorithm: rsign}}]");
  CHECK_THAT(on_relu, Catch::Contains("network.quantize.params.rules[0].select") && Catch::Contains("relu1") &&
                          Catch::Contains("channel count"));
  CHECK_THAT(error("rules: [{select: {name: conv1}, weight: {algorithm: rsign}}]"),
             Catch::Contains("a weight algorithm; rsign quantizes activations"));
  CHECK_THAT(error("rules: [{select: {name: conv2}, input: {algorithm: rsign, bits: 2}}]"), Catch::Contains("bits"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

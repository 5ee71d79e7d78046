// training.bit_penalty: its keys, and the penalty S * max(0, cost / target - 1)
// on the learned bit-widths with its gradient.
#include "manager/train/LearnedBits.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/algorithms/lsq/LearnedBitsQuantizer.h"
#include "quantlib/graph/NetworkSummary.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/recipes/RuleRecipe.h"
#include "support/ErrorMessage.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {

class TwoLayers : public Network {
 public:
  TwoLayers() : Network("TwoLayers") {
    add("fc1", torch::nn::Linear(16, 32));
    add("relu", torch::nn::ReLU());
    add("fc2", torch::nn::Linear(32, 4));
  }
  torch::Tensor forward(torch::Tensor input) override { return call("fc2", call("relu", call("fc1", input))); }
};

ExperimentConfig config_with(const std::string& bit_penalty) {
  return ExperimentConfig::parse(parse_yaml(R"(
experiment: {n_epochs: 4}
network: {class: TwoLayers}
training:
  loss_function: {class: CrossEntropyLoss}
  optimizer: {class: SGD, params: {lr: 0.1}}
  bit_penalty: )" + bit_penalty,
                                            "b.yaml"),
                                 "b.yaml");
}

std::shared_ptr<TwoLayers> learning_fc1_bits() {
  torch::manual_seed(4);
  auto network = std::make_shared<TwoLayers>();
  quantlib::recipes::apply_rules(*network, Params(YAML::Load(R"(
rules:
  - select: {name: fc1}
    weight: {algorithm: lsq, bits: learned, learned_bits: {min: 2, max: 8, init: 8}}
  - select: {name: fc2}
    weight: {algorithm: lsq, bits: 8}
)"),
                                                   "network.quantize.params", "b.yaml"));
  return network;
}

std::shared_ptr<quantlib::nn::LearnedBitsQuantizer> fc1_quantizer(TwoLayers& network) {
  const auto twin = std::dynamic_pointer_cast<quantlib::nn::QuantizedLayer>(network.layer("fc1"));
  return std::dynamic_pointer_cast<quantlib::nn::LearnedBitsQuantizer>(twin->weight_quantizer());
}

std::string penalty_error(const std::string& bit_penalty) {
  return test::error_message_of<ConfigError>([&] {
    auto network = learning_fc1_bits();
    LearnedBits::make(config_with(bit_penalty), *network);
  });
}

}  // namespace

TEST_CASE("the bit penalty is S * max(0, cost / target - 1) of the weight memory, with gradients to the bits",
          "[train][learnedbits]") {
  auto network = learning_fc1_bits();
  const torch::Tensor sample = torch::randn({1, 16});
  const double bytes = quantlib::graph::NetworkSummary::of(*network, sample).size_bits / 8.0;
  const double target = 500;
  REQUIRE(bytes > target);
  auto learned = LearnedBits::make(config_with("{cost: weights, target: 500B, strength: 2}"), *network);
  REQUIRE(learned);
  learned->measure(*network, sample);
  CHECK(learned->cost() == Approx(bytes));
  const torch::Tensor penalty = learned->penalty();
  CHECK(penalty.item<double>() == Approx(2 * (bytes / target - 1)));
  penalty.backward();
  const auto quantizer = fc1_quantizer(*network);
  CHECK(quantizer->learned_bits().grad().item<double>() == Approx(2.0 / target * 512 / 8));
  CHECK_THAT(learned->describe(), Catch::Contains("fc1.weight_quantizer 8.00 | weight memory") &&
                                      Catch::Contains("(target 0.5 KiB)"));

  // Below the target: no penalty and no gradient from it.
  {
    torch::NoGradGuard no_grad;
    quantizer->learned_bits().fill_(2.0);
  }
  quantizer->learned_bits().mutable_grad() = torch::Tensor();
  REQUIRE(learned->cost() < target);
  const torch::Tensor none = learned->penalty();
  CHECK(none.item<double>() == 0.0);
  none.backward();
  CHECK(quantizer->learned_bits().grad().item<double>() == 0.0);
}

TEST_CASE("training.bit_penalty: each bad key is one error naming it", "[train][learnedbits][config]") {
  CHECK_THAT(penalty_error("{cost: memory, target: 1KiB}"),
             Catch::StartsWith("b.yaml: training.bit_penalty.cost: expected weights (the model size) or bops "
                               "(bit-operations per sample), got memory"));
  CHECK_THAT(penalty_error("{cost: weights, target: 12XB}"),
             Catch::Contains("training.bit_penalty.target: expected a positive model size in bytes"));
  CHECK_THAT(penalty_error("{cost: weights, target: 0}"),
             Catch::Contains("training.bit_penalty.target: expected a positive model size in bytes"));
  CHECK_THAT(penalty_error("{cost: bops, target: 1.2KiB}"),
             Catch::Contains("training.bit_penalty.target: expected a positive number of bit-operations"));
  CHECK_THAT(penalty_error("{cost: weights, target: 1KiB, strength: -1}"),
             Catch::Contains("training.bit_penalty.strength: expected a number >= 0"));
  CHECK_THAT(penalty_error("{cost: weights, target: 1KiB, strenght: 1}"),
             Catch::Contains("training.bit_penalty.strenght: unknown key"));
  CHECK_THAT(penalty_error("{target: 1KiB}"), Catch::Contains("training.bit_penalty.cost: expected a value"));
  const std::string fixed_bits = test::error_message_of<ConfigError>([&] {
    TwoLayers network;
    LearnedBits::make(config_with("{cost: weights, target: 1KiB}"), network);
  });
  CHECK_THAT(fixed_bits, Catch::StartsWith("b.yaml: training.bit_penalty: expected a recipe that learns bit-widths (a "
                                           "quantizer with bits: learned); this network's quantizers all have fixed "
                                           "bits"));

  const auto bops = BitPenalty::parse(config_with("{cost: bops, target: 1.5G}").section("training.bit_penalty"));
  REQUIRE(bops);
  CHECK(bops->target == 1.5e9);
  CHECK(bops->strength == 1.0);
  const auto kib = BitPenalty::parse(config_with("{cost: weights, target: 407.8KiB}").section("training.bit_penalty"));
  CHECK(kib->target == Approx(407.8 * 1024));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

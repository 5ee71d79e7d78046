#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/algorithms/EpochSwitchController.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Nn.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/recipes/RuleRecipe.h"
#include "support/ErrorMessage.h"
#include "support/SmallNetwork.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;

namespace {

using quantlab::test::small_network;

quantlab::Params params_of(const std::string& yaml) { return quantlab::test::recipe_params(yaml); }

std::string error_of(const std::string& yaml) {
  return quantlab::test::error_message_of<quantlab::ConfigError>([&] {
    auto net = small_network();
    recipes::apply_rules(*net, params_of(yaml));
  });
}

std::shared_ptr<nn::QuantizedLayer> twin(nn::Sequential& net, const std::string& name) {
  return std::dynamic_pointer_cast<nn::QuantizedLayer>(net->layer(name));
}

}  // namespace

TEST_CASE("rules swap selected layers for twins and put quantizers on weights and activations", "[recipes]") {
  auto net = small_network();
  const torch::Tensor x = torch::randn({2, 1, 5, 5});
  net->eval();
  const torch::Tensor before = net->forward(x);
  const torch::Tensor conv_weight = net->named_parameters()["conv1.weight"];

  const auto controllers = recipes::apply_rules(*net, params_of(R"(
rules:
  - select: {type: [Conv2d, Linear], not: {name: fc2}}
    weight: {algorithm: lsq, bits: 4, per_channel: true}
  - select: {name: "relu*"}
    output: {algorithm: pact, bits: 2, alpha: 1.0, start_epoch: 1}
)"));
  REQUIRE(controllers.size() == 2);
  for (const char* name : {"conv1", "fc1"}) {
    const auto layer = twin(net, name);
    REQUIRE(layer);
    const auto lsq = std::dynamic_pointer_cast<nn::LsqQuantizer>(layer->weight_quantizer());
    REQUIRE(lsq);
    CHECK(lsq->bits() == 4);
  }
  CHECK_FALSE(twin(net, "fc2"));
  // Per channel: one step per output channel of conv1.
  CHECK(std::dynamic_pointer_cast<nn::LsqQuantizer>(twin(net, "conv1")->weight_quantizer())->step().numel() == 4);
  // The twin trains the very weight tensor the plain layer had.
  CHECK(net->named_parameters()["conv1.conv.weight"].is_same(conv_weight));
  for (const char* name : {"relu1", "relu2"}) REQUIRE(std::dynamic_pointer_cast<nn::PactQuantizer>(net->output_quantizer(name)));

  // Quantizers change what forward computes.
  torch::optim::SGD optimizer(net->parameters(), 0.1);
  for (auto& controller : controllers) controller->step_pre_training(1, optimizer);
  const torch::Tensor after = net->forward(x);
  CHECK_FALSE(torch::allclose(before, after));
  // The 2-bit PACT after relu2 leaves at most 4 distinct values entering fc2.
  const auto relu2_out = net->output_quantizer("relu2");
  const torch::Tensor h = relu2_out->forward(torch::linspace(-1, 2, 101));
  CHECK(std::get<0>(torch::_unique(h)).numel() <= 4);
}

// The same quantizer after the ReLU (`output`) and in its place (`replace`):
// forward values and every gradient agree, and before start_epoch the ReLU
// still computes.
TEST_CASE("replace: an unsigned PACT computes in place of the ReLU, as after it", "[recipes]") {
  for (const std::string rounding : {"nearest", "floor"}) {
    CAPTURE(rounding);
    const std::string spec = "{algorithm: pact, bits: 3, alpha: 2.0, rounding: " + rounding + ", start_epoch: 1}";
    auto after = small_network();
    auto instead = small_network();
    const auto after_controllers = recipes::apply_rules(*after, params_of("rules: [{select: {type: ReLU}, output: " + spec + "}]"));
    const auto instead_controllers = recipes::apply_rules(*instead, params_of("rules: [{select: {type: ReLU}, replace: " + spec + "}]"));
    CHECK(instead->output_quantizer_substitutes("relu1"));
    CHECK_FALSE(after->output_quantizer_substitutes("relu1"));
    // Same parameter names either way, so checkpoints and pretrained weights carry over.
    CHECK(after->named_parameters().keys() == instead->named_parameters().keys());
    torch::optim::SGD after_optimizer(after->parameters(), 0.1);
    torch::optim::SGD instead_optimizer(instead->parameters(), 0.1);

    for (const int epoch : {0, 1}) {
      CAPTURE(epoch);
      for (auto& controller : after_controllers) controller->step_pre_training(epoch, after_optimizer);
      for (auto& controller : instead_controllers) controller->step_pre_training(epoch, instead_optimizer);
      CHECK(instead->output_quantizer("relu2")->enabled() == (epoch == 1));
      // Many negative pre-activations, so the ReLU's clipping matters.
      torch::manual_seed(11);
      const torch::Tensor x = torch::randn({4, 1, 5, 5}) * 3;
      after->zero_grad();
      instead->zero_grad();
      const torch::Tensor y_after = after->forward(x);
      const torch::Tensor y_instead = instead->forward(x);
      CHECK(torch::allclose(y_after, y_instead, 1e-6, 1e-6));
      y_after.square().sum().backward();
      y_instead.square().sum().backward();
      const auto after_params = after->named_parameters();
      for (const auto& item : instead->named_parameters()) {
        CAPTURE(item.key());
        const torch::Tensor grad = item.value().grad();
        // A disabled PACT does not use alpha, on either side.
        REQUIRE(grad.defined() == after_params[item.key()].grad().defined());
        REQUIRE(grad.defined() == (epoch == 1 || item.key().find("alpha") == std::string::npos));
        if (grad.defined()) CHECK(torch::allclose(grad, after_params[item.key()].grad(), 1e-5, 1e-6));
      }
    }
  }
}

TEST_CASE("replace: only ReLU layers and unsigned PACT, one output quantizer per layer", "[recipes]") {
  CHECK_THAT(error_of("rules: [{select: {type: Linear}, replace: {algorithm: pact}}]"),
             Catch::Contains("rules[0].select: expected only ReLU layers for `replace` (fc1 is a Linear"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, replace: {algorithm: pact, signed: true}}]"),
             Catch::Contains("rules[0].replace: expected an unsigned pact quantizer"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, replace: {algorithm: lsq}}]"),
             Catch::Contains("rules[0].replace: expected an unsigned pact quantizer") &&
                 Catch::Contains("put it after the ReLU with `output`"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, output: {algorithm: pact}},"
                      " {select: {name: relu1}, replace: {algorithm: pact}}]"),
             Catch::Contains("rules[1].replace: expected an output quantizer for layers that have none yet (relu1 got "
                             "one from network.quantize.params.rules[0].output)"));
}

TEST_CASE("the rule's start_epoch switches its quantizers on, before that they are the identity", "[recipes]") {
  auto net = small_network();
  const auto controllers = recipes::apply_rules(*net, params_of(R"(
rules:
  - select: {type: ReLU}
    output: {algorithm: pact, bits: 2, alpha: 1.0, start_epoch: 2}
)"));
  torch::optim::SGD optimizer(net->parameters(), 0.1);
  const auto quantizer = net->output_quantizer("relu1");
  controllers.front()->step_pre_training(1, optimizer);
  CHECK_FALSE(quantizer->enabled());
  controllers.front()->step_pre_validation(1);
  CHECK_FALSE(quantizer->enabled());
  controllers.front()->step_pre_training(2, optimizer);
  CHECK(quantizer->enabled());
}

TEST_CASE("an STE activation records its range during the epoch before it starts", "[recipes]") {
  auto net = small_network();
  const auto controllers = recipes::apply_rules(*net, params_of(R"(
rules:
  - select: {name: relu1}
    output: {algorithm: ste, n_levels: 3, start_epoch: 1}
)"));
  torch::optim::SGD optimizer(net->parameters(), 0.1);
  const auto ste = std::dynamic_pointer_cast<nn::SteQuantizer>(net->output_quantizer("relu1"));
  REQUIRE(ste);
  controllers.front()->step_pre_training(0, optimizer);
  CHECK(ste->monitoring());
  ste->forward(torch::tensor({-0.5f, 2.0f}));
  CHECK(ste->abs_max().item<float>() == 2.0f);
  controllers.front()->step_pre_validation(0);
  ste->forward(torch::tensor({9.0f}));  // validation must not widen the range
  CHECK(ste->abs_max().item<float>() == 2.0f);
  controllers.front()->step_pre_training(1, optimizer);
  CHECK(ste->enabled());
  CHECK_FALSE(ste->monitoring());
  // 3 levels on [-2, 2]: -2, 0, 2.
  CHECK(torch::equal(ste->forward(torch::tensor({-1.5f, 0.4f, 1.2f})), torch::tensor({-2.0f, 0.0f, 2.0f})));
}

TEST_CASE("fold_batch_norm folds before quantizing", "[recipes]") {
  auto net = small_network();
  recipes::apply_rules(*net, params_of(R"(
fold_batch_norm: true
rules:
  - select: {type: Conv2d}
    weight: {algorithm: tqt, bits: 8}
)"));
  CHECK(graph::find_layer(*net, "bn1").type == "Identity");
  REQUIRE(twin(net, "conv1"));
}

TEST_CASE("selections: name globs, regex, inside, any_of and not", "[recipes]") {
  auto net = small_network();
  auto names = [&](const std::string& yaml) {
    std::vector<std::string> out;
    for (const auto& layer : graph::select(*net, recipes::parse_selection(quantlab::Params(YAML::Load(yaml), "select", "s.yaml"))))
      out.push_back(layer.name);
    return out;
  };
  CHECK(names("{name: 'fc*'}") == std::vector<std::string>{"fc1", "fc2"});
  CHECK(names("{name: [conv1, fc2]}") == std::vector<std::string>{"conv1", "fc2"});
  CHECK(names("{regex: 'relu[0-9]'}") == std::vector<std::string>{"relu1", "relu2"});
  CHECK(names("{type: Linear, name: '*2'}") == std::vector<std::string>{"fc2"});
  CHECK(names("{any_of: [{type: BatchNorm2d}, {name: flatten}]}") == std::vector<std::string>{"bn1", "flatten"});
  CHECK(names("{type: [Conv2d, Linear], not: {name: conv1}}") == std::vector<std::string>{"fc1", "fc2"});
}

TEST_CASE("bad rules are refused with the config key, and the network is left unedited", "[recipes]") {
  CHECK_THAT(error_of("rules: [{select: {name: nothing*}, weight: {algorithm: pact}}]"),
             Catch::Contains("recipe.yaml: network.quantize.params.rules[0].select: expected a selection matching "
                             "at least one layer"));
  CHECK_THAT(error_of("rules: [{select: {type: Conv2d}, weight: {algorithm: magic}}]"),
             Catch::Contains("rules[0].weight.algorithm: expected one of") && Catch::Contains("got magic"));
  CHECK_THAT(error_of("rules: [{select: {type: Conv2d}, weight: {algorithm: lsq, bits: 40}}]"),
             Catch::Contains("rules[0].weight.bits: expected an integer in [2, 24]"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, output: {algorithm: pact, bits: 0}}]"),
             Catch::Contains("rules[0].output.bits: expected an integer in [1, 24]"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, output: {algorithm: pact, start_epoch: -1}}]"),
             Catch::Contains("rules[0].output.start_epoch: expected an epoch >= 0"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, output: {algorithm: ste, start_epoch: 0}}]"),
             Catch::Contains("rules[0].output.start_epoch: expected an epoch >= 1"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, weight: {algorithm: pact}}]"),
             Catch::Contains("rules[0].select: expected only Conv2d and Linear layers for a weight quantizer"));
  CHECK_THAT(error_of("rules: [{select: {type: ReLU}, output: {algorithm: lsq, per_channel: true}}]"),
             Catch::Contains("rules[0].output.per_channel"));
  CHECK_THAT(error_of("rules: [{select: {type: Conv2d}, weight: {algorithm: pact}},"
                      " {select: {name: conv1}, weight: {algorithm: lsq}}]"),
             Catch::Contains("rules[1].weight: expected a weight quantizer for layers that have none yet"));
  CHECK_THAT(error_of("rules: [{select: {type: Conv2d}}]"), Catch::Contains("rules[0].weight: expected at least one"));
  CHECK_THAT(error_of("rules: [{select: {regex: '('}, weight: {algorithm: pact}}]"),
             Catch::Contains("rules[0].select.regex: expected a regular expression"));
  CHECK_THAT(error_of("rules: []"), Catch::Contains("network.quantize.params.rules: expected a non-empty list"));
  CHECK_THAT(error_of("rules: [{select: {type: Conv2d}, weight: {algorithm: pact, bitz: 3}}]"),
             Catch::Contains("rules[0].weight.bitz: unknown key"));

  // A later rule's error leaves the network as it was: everything is read before editing.
  auto net = small_network();
  const auto layers_before = graph::list_layers(*net).size();
  CHECK_THROWS_AS(recipes::apply_rules(*net, params_of("rules: [{select: {type: Conv2d}, weight: {algorithm: pact}},"
                                                       " {select: {type: ReLU}, output: {algorithm: nope}}]")),
                  quantlab::ConfigError);
  CHECK(graph::list_layers(*net).size() == layers_before);
  CHECK(graph::find_layer(*net, "conv1").type == "Conv2d");
}

TEST_CASE("weight algorithms from rules: uniform, binary, ternary, inq and ana with their controllers", "[recipes]") {
  auto net = small_network();
  const torch::Tensor fc1_weight = net->named_parameters()["fc1.weight"].clone();
  const auto controllers = recipes::apply_rules(*net, params_of(R"(
rules:
  - select: {name: conv1}
    weight: {algorithm: uniform, bits: 4, per_channel: true, init: mse}
  - select: {name: fc1}
    weight: {algorithm: inq, levels: uniform, n_levels: 3, init: l2, schedule: {0: 0.5, 2: 1.0}}
  - select: {name: fc2}
    weight: {algorithm: ana, levels: ternary, s_fwd: 0.5, start_epoch: 0, end_epoch: 2}
  - select: {name: relu1}
    output: {algorithm: ternary}
  - select: {name: relu2}
    input: {algorithm: binary}
)"));
  REQUIRE(controllers.size() == 5);
  CHECK(std::dynamic_pointer_cast<nn::UniformWeightQuantizer>(twin(net, "conv1")->weight_quantizer())->bits() == 4);
  const auto inq = std::dynamic_pointer_cast<nn::InqQuantizer>(twin(net, "fc1")->weight_quantizer());
  REQUIRE(inq);
  const auto ana = std::dynamic_pointer_cast<nn::AnaQuantizer>(twin(net, "fc2")->weight_quantizer());
  REQUIRE(ana);
  // Ternary ANA weights: levels +-1.4 mean|w| of the weight the rule found.
  CHECK(ana->scale() == Approx(1.4 * net->named_parameters()["fc2.linear.weight"].abs().mean().item<double>()));
  CHECK(std::dynamic_pointer_cast<nn::TernaryQuantizer>(net->output_quantizer("relu1")));
  CHECK(std::dynamic_pointer_cast<nn::BinaryQuantizer>(net->input_quantizer("relu2")));

  torch::optim::SGD optimizer(net->parameters(), 0.1);
  for (auto& controller : controllers) controller->step_pre_training(0, optimizer);
  CHECK(inq->frozen_fraction() == Approx(0.5).margin(0.01));
  // ANA's noise starts at s_fwd times the quantizer's scale and anneals to 0 at end_epoch.
  CHECK(ana->s_fwd() == Approx(0.5 * ana->scale()));
  for (auto& controller : controllers) controller->step_pre_training(2, optimizer);
  CHECK(inq->frozen_fraction() == 1.0);
  CHECK(ana->s_fwd() == 0.0);
  // Every fc1 weight is now one of the three ternary levels.
  const torch::Tensor levels = std::get<0>(torch::_unique(inq->frozen()));
  CHECK(levels.numel() <= 3);
  CHECK(torch::allclose(levels, -levels.flip(0)));
  CHECK(torch::equal(net->named_parameters()["fc1.linear.weight"], fc1_weight));  // INQ freezes a copy
}

TEST_CASE("bad INQ and ANA schedules name the key", "[recipes]") {
  const std::string inq = "rules: [{select: {name: fc1}, weight: {algorithm: inq, schedule: ";
  CHECK_THAT(error_of(inq + "{2: 0.5, 1: 1.0}}}]"), Catch::Contains("rules[0].weight.schedule: expected a map from epoch"));
  CHECK_THAT(error_of(inq + "{-1: 0.5}}}]"), Catch::Contains("rules[0].weight.schedule: expected"));
  CHECK_THAT(error_of(inq + "{0: 0.8, 1: 0.5}}}]"), Catch::Contains("fractions in [0, 1] not decreasing"));
  CHECK_THAT(error_of(inq + "{0: 1.5}}}]"), Catch::Contains("rules[0].weight.schedule"));
  CHECK_THAT(error_of("rules: [{select: {name: fc1}, weight: {algorithm: inq}}]"),
             Catch::Contains("rules[0].weight.schedule: expected"));
  CHECK_THAT(error_of("rules: [{select: {name: fc1}, weight: {algorithm: inq, n_levels: 4, schedule: {0: 1.0}}}]"),
             Catch::Contains("rules[0].weight.n_levels: expected an odd integer"));
  CHECK_THAT(error_of("rules: [{select: {name: fc1}, weight: {algorithm: ana, start_epoch: 3, end_epoch: 1}}]"),
             Catch::Contains("rules[0].weight.end_epoch: expected an epoch >= start_epoch (3)"));
  CHECK_THAT(error_of("rules: [{select: {name: fc1}, weight: {algorithm: ana, s_fwd: -1}}]"),
             Catch::Contains("rules[0].weight.s_fwd: expected a noise scale >= 0"));
  CHECK_THAT(error_of("rules: [{select: {name: relu1}, output: {algorithm: inq, schedule: {0: 1.0}}}]"),
             Catch::Contains("rules[0].output.algorithm: expected an activation algorithm; inq quantizes weights"));
  CHECK_THAT(error_of("rules: [{select: {name: fc1}, weight: {algorithm: uniform, init: median}}]"),
             Catch::Contains("rules[0].weight.init: expected one of max, std, mse"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

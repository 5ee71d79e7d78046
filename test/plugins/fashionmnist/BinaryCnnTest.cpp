#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "plugins/fashionmnist/FashionMnistPlugin.h"
#include "quantlab/Errors.h"
#include "quantlib/algorithms/binary/BinaryQuantizer.h"
#include "quantlib/algorithms/rsign/RSignQuantizer.h"
#include "quantlib/algorithms/uniform/UniformWeightQuantizer.h"
#include "quantlib/deploy/Integerize.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/recipes/RuleRecipe.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using fashionmnist::test::topology;
namespace graph = quantlib::graph;
namespace nn = quantlib::nn;

const std::filesystem::path kConfigs = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "configs/fashionmnist";

quantlab::Params params(const std::string& yaml) {
  return quantlab::Params(YAML::Load(yaml), "network.params", "test.yaml");
}

// BinaryCNN as BinaryCNN.yaml builds it, with the recipe of
// BinaryCNN.binary-w1a1.yaml applied.
std::shared_ptr<quantlab::Network> binary_w1a1() {
  torch::manual_seed(12);
  const YAML::Node fp32 = YAML::LoadFile((kConfigs / "BinaryCNN.yaml").string());
  const YAML::Node w1a1 = YAML::LoadFile((kConfigs / "BinaryCNN.binary-w1a1.yaml").string());
  REQUIRE(w1a1["base"].as<std::string>() == "BinaryCNN.yaml");
  REQUIRE(w1a1["network"]["quantize"]["recipe"].as<std::string>() == "rules");
  auto network = topology("BinaryCNN")->network(
      quantlab::Params(fp32["network"]["params"], "network.params", "BinaryCNN.yaml"));
  quantlib::recipes::apply_rules(*network, quantlab::Params(w1a1["network"]["quantize"]["params"],
                                                            "network.quantize.params", "BinaryCNN.binary-w1a1.yaml"));
  return network;
}

TEST_CASE("BinaryCNN maps N x 1 x 28 x 28 images to N x 10 logits through residual binary blocks", "[fashionmnist]") {
  auto network = topology("BinaryCNN")->network(params("{stem: 8, channels: [16, 32], blocks: 2, dropout: 0}"));
  CHECK(network->forward(torch::rand({3, 1, 28, 28})).sizes() == torch::IntArrayRef({3, 10}));
  std::vector<std::string> blocks;
  for (const auto& layer : graph::list_layers(*network))
    if (layer.type == "BinaryResidualBlock") blocks.push_back(layer.name);
  CHECK(blocks == std::vector<std::string>{"layer1.0", "layer1.1", "layer2.0", "layer2.1"});
  // The first block of each stage halves the side: 28 -> 14 -> 7, so fc reads 32 * 7 * 7.
  CHECK(network->named_parameters()["fc.weight"].size(1) == 32 * 7 * 7);
  CHECK(graph::find_layer(*network, "layer2.0.shortcut").type == "DownsampleShortcut");
  CHECK(graph::find_layer(*network, "layer2.1.shortcut").type == "Identity");
  CHECK(graph::find_layer(*network, "layer2.1.act").type == "RPReLU");
}

TEST_CASE("BinaryCNN's params refuse unknown keys and bad widths", "[fashionmnist]") {
  auto build = [](const std::string& yaml) { return topology("BinaryCNN")->network(params(yaml)); };
  CHECK_THROWS_WITH(build("{width: 3}"), Catch::Contains("network.params.width"));
  CHECK_THROWS_WITH(build("{stem: 8, channels: [12]}"), Catch::Contains("network.params.channels") &&
                                                             Catch::Contains("multiple"));
  CHECK_THROWS_AS(build("{channels: []}"), quantlab::ConfigError);
  CHECK_THROWS_AS(build("{blocks: 0}"), quantlab::ConfigError);
  CHECK_THROWS_AS(build("{dropout: 1.0}"), quantlab::ConfigError);
}

TEST_CASE("BinaryCNN.binary-w1a1.yaml makes every block's conv binary: rsign input, sign(W) * mean|W| weights",
          "[fashionmnist][binary_block]") {
  auto network = binary_w1a1();
  int binary_convs = 0;
  for (const auto& layer : graph::list_layers(*network)) {
    if (layer.type != "QuantConv2d") continue;
    auto conv = std::dynamic_pointer_cast<nn::QuantConv2dImpl>(layer.module);
    REQUIRE(conv);
    if (layer.name == "conv1") {
      CHECK(std::dynamic_pointer_cast<nn::UniformWeightQuantizer>(conv->weight_quantizer()));
      continue;
    }
    INFO(layer.name);
    ++binary_convs;
    CHECK(std::dynamic_pointer_cast<nn::BinaryQuantizer>(conv->weight_quantizer()));
    const auto rsign = std::dynamic_pointer_cast<nn::RSignQuantizer>(layer.parent->input_quantizer("conv"));
    REQUIRE(rsign);
    CHECK(rsign->threshold().numel() == conv->conv()->options.in_channels());
    // The weights it convolves with: +-mean|W| of each output channel.
    const torch::Tensor w = conv->conv()->weight.detach();
    const torch::Tensor q = conv->weight_quantizer()->forward(w);
    const torch::Tensor scale = w.abs().mean({1, 2, 3}, true);
    CHECK(torch::allclose(q.abs(), scale.expand_as(q)));
  }
  CHECK(binary_convs == 4);
  network->train();
  const torch::Tensor logits = network->forward(torch::randn({4, 1, 28, 28}));
  CHECK(logits.sizes() == torch::IntArrayRef({4, 10}));
  logits.sum().backward();
  for (const auto& p : network->named_parameters())
    if (p.key().find("threshold") != std::string::npos) {
      INFO(p.key());
      CHECK(p.value().grad().defined());
    }
}

TEST_CASE("integerize refuses BinaryCNN binary-w1a1 with one line naming the real-valued layer", "[fashionmnist][deploy]") {
  auto network = binary_w1a1();
  const auto forward = [&](const torch::Tensor& x) { return network->forward(x); };
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  try {
    quantlib::deploy::integerize(*network, forward, x, quantlib::deploy::infer_input_quantization(x));
    FAIL("integerize accepted a network with real-valued shortcuts and RPReLUs");
  } catch (const quantlib::deploy::IntegerizeError& error) {
    const std::string message = error.what();
    INFO(message);
    CHECK(message.find("layer 'layer1.0.") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "plugins/fashionmnist/FashionMnistPlugin.h"
#include "quantlab/Errors.h"
#include "quantlib/graph/Graph.h"
#include "quantlib/algorithms/lsq/LsqQuantizer.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/ops/Lsq.h"
#include "quantlib/ops/Pact.h"
#include "support/BatchNorms.h"
#include "support/Files.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using fashionmnist::test::topology;
using quantlab::test::randomise_batch_norms;

namespace {

quantlab::Params params(const std::string& yaml) {
  return quantlab::Params(YAML::Load(yaml), "network.params", "test.yaml");
}

constexpr double kMean = 0.2860;
constexpr double kStd = 0.3530;

}  // namespace

TEST_CASE("the plugin describes itself as fashionmnist with SimpleCNN, MLP and BinaryCNN", "[fashionmnist]") {
  const auto& plugin = fashionmnist::test::plugin();
  CHECK(plugin.name == "fashionmnist");
  std::vector<std::string> names;
  for (const auto& candidate : plugin.problem->topologies()) names.push_back(candidate->name());
  CHECK(names == std::vector<std::string>{"SimpleCNN", "MLP", "BinaryCNN"});
  CHECK(topology("SimpleCNN")->recipes().empty());
  CHECK(topology("MLP")->recipes().empty());
}

TEST_CASE("both topologies map N x 1 x 28 x 28 images to N x 10 logits", "[fashionmnist]") {
  for (const std::string name : {"SimpleCNN", "MLP"}) {
    INFO(name);
    auto network = topology(name)->network(params("{}"));
    REQUIRE(network != nullptr);
    network->eval();
    CHECK(network->forward(torch::rand({3, 1, 28, 28})).sizes() == torch::IntArrayRef({3, 10}));
    network->train();
    CHECK(network->forward(torch::rand({2, 1, 28, 28})).sizes() == torch::IntArrayRef({2, 10}));
  }
  auto narrow_cnn = topology("SimpleCNN")->network(params("{channels: [8, 16, 24], hidden: 12, dropout: 0}"));
  CHECK(narrow_cnn->forward(torch::rand({4, 1, 28, 28})).sizes() == torch::IntArrayRef({4, 10}));
  auto narrow_mlp = topology("MLP")->network(params("{hidden: [32], dropout: 0.5}"));
  CHECK(narrow_mlp->forward(torch::rand({4, 1, 28, 28})).sizes() == torch::IntArrayRef({4, 10}));
}

TEST_CASE("network params are widths that change the network", "[fashionmnist]") {
  auto count = [](const std::shared_ptr<quantlab::Network>& network) {
    std::int64_t total = 0;
    for (const auto& parameter : network->parameters()) total += parameter.numel();
    return total;
  };
  // conv1 8*1*9 + bn1 16 + conv2 16*8*9 + bn2 32 + fc1 (16*7*7)*20+20 + fc2 20*10+10
  const std::int64_t cnn = 8 * 9 + 16 + 16 * 8 * 9 + 32 + (16 * 49) * 20 + 20 + 20 * 10 + 10;
  CHECK(count(topology("SimpleCNN")->network(params("{channels: [8, 16], hidden: 20}"))) == cnn);
  const std::int64_t mlp = 784 * 30 + 30 + 30 * 10 + 10;
  CHECK(count(topology("MLP")->network(params("{hidden: [30]}"))) == mlp);
}

TEST_CASE("network params refuse unknown keys and bad values", "[fashionmnist]") {
  for (const std::string name : {"SimpleCNN", "MLP"}) {
    INFO(name);
    CHECK_THROWS_WITH(topology(name)->network(params("{hidden_size: 3}")),
                      Catch::Contains("network.params.hidden_size") && Catch::Contains("test.yaml"));
    CHECK_THROWS_AS(topology(name)->network(params("{dropout: 1.5}")), quantlab::ConfigError);
    CHECK_THROWS_AS(topology(name)->network(params("{dropout: high}")), quantlab::ConfigError);
  }
  CHECK_THROWS_AS(topology("SimpleCNN")->network(params("{channels: [8, 0]}")), quantlab::ConfigError);
  CHECK_THROWS_AS(topology("SimpleCNN")->network(params("{channels: [8, 8, 8, 8]}")), quantlab::ConfigError);
  CHECK_THROWS_AS(topology("SimpleCNN")->network(params("{hidden: wide}")), quantlab::ConfigError);
  CHECK_THROWS_AS(topology("MLP")->network(params("{hidden: 30}")), quantlab::ConfigError);
}

namespace {

namespace F = torch::nn::functional;
namespace graph = quantlib::graph;
namespace ops = quantlib::ops;

std::vector<std::string> layer_names(const std::vector<graph::Layer>& layers) {
  std::vector<std::string> names;
  for (const auto& layer : layers) names.push_back(layer.name);
  return names;
}

// SimpleCNN's math written out with the network's own tensors, in eval mode;
// `after_relu3` applied to the classifier's hidden activations.
torch::Tensor simple_cnn_by_hand(quantlab::Network& network, const torch::Tensor& input, int blocks,
                                 const std::function<torch::Tensor(const torch::Tensor&)>& after_relu3 =
                                     [](const torch::Tensor& x) { return x; }) {
  const auto p = network.named_parameters();
  const auto b = network.named_buffers();
  torch::Tensor x = input;
  for (int i = 1; i <= blocks; ++i) {
    const std::string n = std::to_string(i);
    x = F::conv2d(x, p["conv" + n + ".weight"], F::Conv2dFuncOptions().padding(1));
    x = F::batch_norm(x, b["bn" + n + ".running_mean"], b["bn" + n + ".running_var"],
                      F::BatchNormFuncOptions().weight(p["bn" + n + ".weight"]).bias(p["bn" + n + ".bias"]));
    x = F::max_pool2d(torch::relu(x), F::MaxPool2dFuncOptions(2));
  }
  x = after_relu3(torch::relu(F::linear(x.flatten(1), p["fc1.weight"], p["fc1.bias"])));
  return F::linear(x, p["fc2.weight"], p["fc2.bias"]);
}

}  // namespace

TEST_CASE("SimpleCNN is a Block of named layers with the parameter names and math of before",
          "[fashionmnist][graph]") {
  torch::manual_seed(91);
  auto network = topology("SimpleCNN")->network(params("{channels: [4, 6], hidden: 12}"));
  const auto layers = graph::list_layers(*network);
  CHECK(layer_names(layers) == std::vector<std::string>{"conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2",
                                                        "pool2", "dropout", "fc1", "relu3", "fc2"});
  std::vector<std::string> types;
  for (const auto& layer : layers) {
    types.push_back(layer.type);
    CHECK(layer.parent == network.get());
  }
  CHECK(types == std::vector<std::string>{"Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d", "BatchNorm2d",
                                          "ReLU", "MaxPool2d", "Dropout", "Linear", "ReLU", "Linear"});
  CHECK(network->named_parameters().keys() ==
        std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
                                 "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});

  randomise_batch_norms(*network);
  network->eval();
  const torch::Tensor x = torch::randn({3, 1, 28, 28});
  CHECK(torch::allclose(network->forward(x), simple_cnn_by_hand(*network, x, 2), 1e-5, 1e-5));
}

TEST_CASE("MLP is a Block of named layers with the parameter names and math of before", "[fashionmnist][graph]") {
  torch::manual_seed(92);
  auto network = topology("MLP")->network(params("{hidden: [16, 8], dropout: 0.5}"));
  CHECK(layer_names(graph::list_layers(*network)) ==
        std::vector<std::string>{"dropout", "fc1", "relu1", "fc2", "relu2", "fc3"});
  const auto p = network->named_parameters();
  CHECK(p.keys() == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight",
                                             "fc3.bias"});
  network->eval();
  const torch::Tensor x = torch::randn({4, 1, 28, 28});
  torch::Tensor h = torch::relu(F::linear(x.flatten(1), p["fc1.weight"], p["fc1.bias"]));
  h = torch::relu(F::linear(h, p["fc2.weight"], p["fc2.bias"]));
  CHECK(torch::allclose(network->forward(x), F::linear(h, p["fc3.weight"], p["fc3.bias"]), 1e-5, 1e-6));
}

TEST_CASE("graph editing changes what the plugin's SimpleCNN computes", "[fashionmnist][graph]") {
  torch::manual_seed(93);
  auto network = topology("SimpleCNN")->network(params("{channels: [4], hidden: 10}"));
  randomise_batch_norms(*network);
  network->eval();
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  const torch::Tensor plain = network->forward(x);

  // Folding keeps the eval-mode output.
  CHECK(graph::fold_batch_norm(*network) == std::vector<std::pair<std::string, std::string>>{{"conv1", "bn1"}});
  CHECK((network->forward(x) - plain).abs().max().item<float>() < 1e-5f);

  auto twins = graph::replace_with_twins(*network, graph::select(*network, graph::Rule::type("Linear")));
  CHECK(twins.size() == 2);
  auto lsq = std::make_shared<quantlib::nn::LsqQuantizer>(2, ops::Signedness::Signed);
  twins.at("fc2")->set_weight_quantizer(lsq);
  graph::insert_after(*network, "relu2",
                      std::make_shared<quantlib::nn::PactQuantizer>(2, ops::Signedness::Unsigned, 0.5));
  const torch::Tensor quantized = network->forward(x);
  CHECK_FALSE(torch::allclose(quantized, plain, 1e-3, 1e-3));

  const auto p = network->named_parameters();
  torch::Tensor h = F::conv2d(x, p["conv1.weight"], F::Conv2dFuncOptions().bias(p["conv1.bias"]).padding(1));
  h = F::max_pool2d(torch::relu(h), F::MaxPool2dFuncOptions(2)).flatten(1);
  h = torch::relu(F::linear(h, p["fc1.linear.weight"], p["fc1.linear.bias"]));
  h = ops::pact(h, torch::full({1}, 0.5f), 2, ops::Signedness::Unsigned);
  const torch::Tensor fc2_weight = ops::lsq(p["fc2.linear.weight"], lsq->step(), 2, ops::Signedness::Signed);
  CHECK(torch::allclose(quantized, F::linear(h, fc2_weight, p["fc2.linear.bias"]), 1e-5, 1e-6));
}

TEST_CASE("default configs are the YAML files in configs/fashionmnist", "[fashionmnist]") {
  for (const std::string name : {"SimpleCNN", "MLP", "BinaryCNN"}) {
    INFO(name);
    const auto file = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "configs/fashionmnist" / (name + ".yaml");
    const std::string text = topology(name)->default_config();
    CHECK(text == quantlab::test::read_bytes(file));
    const YAML::Node config = YAML::Load(text);
    for (const char* section : {"experiment", "data", "network", "training", "logging"})
      CHECK(config[section].IsMap());
    CHECK(config["network"]["class"].as<std::string>() == name);
    // The defaults must build.
    CHECK(topology(name)->network(quantlab::Params(config["network"]["params"], "network.params", name)) != nullptr);
  }
}

TEST_CASE("preprocess without augmentation only normalizes", "[fashionmnist]") {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
  const torch::Tensor images = torch::rand({5, 1, 28, 28});
  const torch::Tensor targets = torch::arange(5);
  const quantlab::Batch out = topology("SimpleCNN")->preprocess({images, targets}, false, generator);
  CHECK(torch::allclose(out.input, (images - kMean) / kStd));
  CHECK(torch::equal(out.target, targets));
}

TEST_CASE("augmentation flips samples left-right, deterministically per generator state", "[fashionmnist]") {
  const torch::Tensor images = torch::rand({32, 1, 28, 28});
  const torch::Tensor targets = torch::arange(32);
  auto preprocess = [&](std::uint64_t seed) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    return topology("SimpleCNN")->preprocess({images, targets}, true, generator).input;
  };
  const torch::Tensor first = preprocess(7);
  CHECK(torch::equal(first, preprocess(7)));
  CHECK_FALSE(torch::equal(first, preprocess(8)));
  REQUIRE(first.sizes() == images.sizes());

  // Every output is its input or its mirror image, normalised; some of each.
  const torch::Tensor restored = first * kStd + kMean;
  int flipped = 0;
  for (int n = 0; n < 32; ++n) {
    const bool same = torch::allclose(restored[n], images[n], 1e-5, 1e-6);
    const bool mirrored = torch::allclose(restored[n], images[n].flip({2}), 1e-5, 1e-6);
    CHECK(same != mirrored);
    flipped += mirrored;
  }
  CHECK(flipped > 4);
  CHECK(flipped < 28);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

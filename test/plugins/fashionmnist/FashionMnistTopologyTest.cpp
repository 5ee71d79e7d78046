#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "plugins/fashionmnist/FashionMnistPlugin.h"
#include "quantlab/Errors.h"
#include "support/Files.h"

using fashionmnist::test::topology;

namespace {

quantlab::Params params(const std::string& yaml) {
  return quantlab::Params(YAML::Load(yaml), "network.params", "test.yaml");
}

constexpr double kMean = 0.2860;
constexpr double kStd = 0.3530;

}  // namespace

TEST_CASE("the plugin describes itself as fashionmnist with SimpleCNN and MLP", "[fashionmnist]") {
  const auto& plugin = fashionmnist::test::plugin();
  CHECK(plugin.name == "fashionmnist");
  std::vector<std::string> names;
  for (const auto& candidate : plugin.problem->topologies()) names.push_back(candidate->name());
  CHECK(names == std::vector<std::string>{"SimpleCNN", "MLP"});
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

TEST_CASE("default configs are the YAML files in configs/fashionmnist", "[fashionmnist]") {
  for (const std::string name : {"SimpleCNN", "MLP"}) {
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

TEST_CASE("augmentation flips and shifts each sample, deterministically per generator state",
          "[fashionmnist]") {
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

  // Every output is one of the 2 x 25 flipped/shifted copies of its input,
  // padded with black; and the batch is not left untouched.
  const torch::Tensor restored = first * kStd + kMean;
  const torch::Tensor padded = torch::constant_pad_nd(images, {2, 2, 2, 2}, 0.0);
  int changed = 0;
  int flipped = 0;
  for (int n = 0; n < 32; ++n) {
    bool found = false;
    for (int flip = 0; flip < 2 && !found; ++flip) {
      const torch::Tensor source = flip ? padded[n].flip({2}) : padded[n];
      for (int dy = 0; dy <= 4 && !found; ++dy)
        for (int dx = 0; dx <= 4 && !found; ++dx)
          if (torch::allclose(restored[n], source.slice(1, dy, dy + 28).slice(2, dx, dx + 28), 1e-5, 1e-6)) {
            found = true;
            changed += (flip || dy != 2 || dx != 2) ? 1 : 0;
            flipped += flip;
          }
    }
    CHECK(found);
  }
  CHECK(changed > 16);
  CHECK(flipped > 4);
  CHECK(flipped < 28);
}

// Every config shipped in configs/imagenet loads, validates, builds its
// network and applies its recipe; the original's layers_ste_inq recipe puts
// its quantizers where the original did and follows its freezing schedule.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/train/NetworkBuilder.h"
#include "plugins/imagenet/ImageNetPlugin.h"
#include "quantlib/graph/Graph.h"
#include "quantlib/algorithms/inq/InqQuantizer.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/algorithms/ste/SteQuantizer.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using imagenet::test::topology;

namespace {

const fs::path kConfigs = fs::path(QUANTLAB_SOURCE_DIR) / "configs/imagenet";

// The config as qlhost reads it, with few classes and no pretrained weights
// (their experiment does not exist here).
quantlab::BuiltNetwork build(const fs::path& file, quantlab::ExperimentConfig* parsed = nullptr) {
  YAML::Node root = quantlab::load_config_file(file);
  quantlab::apply_override(root, "network.pretrained=null");
  quantlab::apply_override(root, "network.params.classes=10");
  const quantlab::ExperimentConfig config = quantlab::ExperimentConfig::parse(root, file.string());
  if (parsed) *parsed = config;
  return quantlab::build_network(*topology(config.network_class), config);
}

std::vector<fs::path> shipped_configs() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kConfigs))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("every config in configs/imagenet validates, builds and runs a batch", "[imagenet][configs]") {
  const auto files = shipped_configs();
  std::set<std::string> names;
  for (const auto& file : files) names.insert(file.filename().string());
  // The ones the issue asks for are there.
  for (const char* wanted : {"ResNet.yaml", "MobileNetV1.yaml", "MobileNetV2.yaml", "VGG.yaml",
                             "ResNet.layers_ste_inq.yaml", "ResNet.pact-w8a8.yaml", "ResNet.pact-w4a4.yaml",
                             "ResNet.lsq-w8a8.yaml", "ResNet.lsq-w4a4.yaml"})
    CHECK(names.count(wanted) == 1);

  torch::manual_seed(21);
  for (const auto& file : files) {
    INFO(file.filename().string());
    quantlab::ExperimentConfig config;
    quantlab::BuiltNetwork built = build(file, &config);
    REQUIRE(built.network != nullptr);
    const bool variant = file.stem().string().find('.') != std::string::npos;
    // A variant quantizes (it has controllers); a default config does not.
    CHECK(built.controllers.empty() == !variant);
    CHECK(config.augment);
    if (config.network_class == "VGG") continue;  // 138 M parameters: built is enough
    built.network->train();
    const torch::Tensor out = built.network->forward(torch::randn({2, 3, 64, 64}));
    CHECK(out.sizes() == torch::IntArrayRef({2, 10}));
    CHECK(torch::isfinite(out).all().item<bool>());
  }
}

TEST_CASE("layers_ste_inq quantizes the convs inside layer1..layer4 as the original did", "[imagenet][configs]") {
  torch::manual_seed(22);
  quantlab::BuiltNetwork built = build(kConfigs / "ResNet.layers_ste_inq.yaml");
  auto& network = *built.network;

  std::vector<quantlib::nn::InqQuantizer*> inq;
  int inside = 0;
  for (const auto& layer : quantlib::graph::list_layers(network)) {
    if (!layer.is("Conv2d") && !layer.is("Linear")) continue;
    const bool in_residual_layers = layer.name.rfind("layer", 0) == 0;
    INFO(layer.name);
    // conv1 and fc stay as they were; every conv of layer1..layer4 (shortcuts
    // included) is an INQ twin with an STE quantizer on its input.
    CHECK((layer.type == "QuantConv2d") == in_residual_layers);
    if (!in_residual_layers) continue;
    ++inside;
    auto* twin = dynamic_cast<quantlib::nn::QuantizedLayer*>(layer.module.get());
    REQUIRE(twin != nullptr);
    auto* quantizer = dynamic_cast<quantlib::nn::InqQuantizer*>(twin->weight_quantizer().get());
    REQUIRE(quantizer != nullptr);
    inq.push_back(quantizer);
    REQUIRE(layer.parent != nullptr);
    CHECK(dynamic_cast<quantlib::nn::SteQuantizer*>(layer.parent->input_quantizer(layer.name_in_parent).get()) !=
          nullptr);
  }
  CHECK(inside == 8 * 2 + 3);  // ResNet-18: two convs per block, three shortcut convs

  // The original's schedule: the STE records its range in epoch 27 and
  // quantizes from 28; nothing frozen before epoch 30, 40% in epoch 40..49,
  // everything from epoch 90.
  torch::optim::SGD optimizer(network.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  auto step = [&](int epoch) {
    for (auto& controller : built.controllers) controller->step_pre_training(epoch, optimizer);
  };
  for (int epoch = 0; epoch <= 27; ++epoch) step(epoch);
  network.train();
  network.forward(torch::randn({2, 3, 64, 64}));
  for (int epoch = 28; epoch <= 29; ++epoch) step(epoch);
  CHECK(inq.front()->frozen_fraction() == Approx(0.0).margin(1e-9));
  for (int epoch = 30; epoch <= 45; ++epoch) step(epoch);
  CHECK(inq.front()->frozen_fraction() == Approx(0.4).margin(0.01));
  for (int epoch = 46; epoch <= 90; ++epoch) step(epoch);
  for (auto* quantizer : inq) {
    CHECK(quantizer->frozen_fraction() == Approx(1.0));
    // Per layer, ternary: {-s, 0, s}.
    CHECK(std::get<0>(torch::_unique(quantizer->frozen())).numel() == 3);
  }
  network.eval();
  CHECK(network.forward(torch::randn({1, 3, 64, 64})).sizes() == torch::IntArrayRef({1, 10}));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

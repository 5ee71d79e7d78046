#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/train/LrSchedule.h"
#include "manager/train/NetworkBuilder.h"
#include "manager/train/Optimizers.h"
#include "plugins/cifar10/Cifar10Plugin.h"
#include "quantlab/Errors.h"
#include "quantlib/graph/Graph.h"
#include "support/BatchNorms.h"
#include "support/Files.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using cifar10::test::topology;
using quantlab::test::randomise_batch_norms;
namespace F = torch::nn::functional;
namespace graph = quantlib::graph;
namespace fs = std::filesystem;

namespace {

quantlab::Params params(const std::string& yaml) {
  return quantlab::Params(YAML::Load(yaml), "network.params", "test.yaml");
}

std::int64_t count(const std::shared_ptr<quantlab::Network>& network) {
  std::int64_t total = 0;
  for (const auto& parameter : network->parameters()) total += parameter.numel();
  return total;
}

std::int64_t conv(std::int64_t in, std::int64_t out, std::int64_t kernel) { return in * out * kernel * kernel; }
std::int64_t bn(std::int64_t channels) { return 2 * channels; }

// He et al. 2016's CIFAR ResNet by its definition: a 3x3 conv to 16 channels
// and its batch norm; per stage (16, 32, 64 channels) n blocks of two 3x3
// convs (no bias) with batch norms, plus for option B a 1x1 conv and batch
// norm where the channels change; the linear layer 64 -> 10 with bias.
std::int64_t resnet_parameters(std::int64_t depth, bool option_b) {
  const std::int64_t n = (depth - 2) / 6;
  std::int64_t total = conv(3, 16, 3) + bn(16), in = 16;
  for (const std::int64_t width : {16, 32, 64})
    for (std::int64_t block = 0; block < n; ++block) {
      total += conv(in, width, 3) + bn(width) + conv(width, width, 3) + bn(width);
      if (option_b && in != width) total += conv(in, width, 1) + bn(width);
      in = width;
    }
  return total + 64 * 10 + 10;
}

// The VGG of Vgg.h: 3x3 convs without bias, each with a batch norm; linear
// 512*4*4 -> hidden -> hidden without bias, each with a batch norm; hidden -> 10.
std::int64_t vgg_parameters(const std::vector<std::int64_t>& convs, std::int64_t hidden) {
  std::int64_t total = 0, in = 3;
  for (const auto channels : convs) {
    total += conv(in, channels, 3) + bn(channels);
    in = channels;
  }
  return total + in * 16 * hidden + bn(hidden) + hidden * hidden + bn(hidden) + hidden * 10 + 10;
}

std::vector<std::string> names(const std::vector<graph::Layer>& layers) {
  std::vector<std::string> found;
  for (const auto& layer : layers) found.push_back(layer.name);
  return found;
}

}  // namespace

TEST_CASE("ResNet parameter counts are the CIFAR family's (He et al. 2016, table 6)", "[cifar10][resnet]") {
  // ResNet-20 with option A: 269,722 parameters, the 0.27M of the paper.
  CHECK(resnet_parameters(20, false) == 269722);
  CHECK(count(topology("ResNet")->network(params("{}"))) == 269722);
  // The paper's rounded counts, option A, and the exact counts the definition gives.
  const std::vector<std::pair<std::int64_t, double>> paper{{20, 0.27}, {32, 0.46}, {44, 0.66}, {56, 0.85}, {110, 1.7}};
  for (const auto& [depth, millions] : paper) {
    INFO("depth " << depth);
    const auto network = topology("ResNet")->network(params("{depth: " + std::to_string(depth) + "}"));
    const std::int64_t exact = resnet_parameters(depth, false);
    CHECK(count(network) == exact);
    const double rounding = millions < 1.0 ? 0.005 : 0.05;
    CHECK(std::abs(static_cast<double>(exact) / 1e6 - millions) <= rounding);
    CHECK(count(topology("ResNet")->network(params("{depth: " + std::to_string(depth) + ", shortcut: B}"))) ==
          resnet_parameters(depth, true));
  }
  CHECK(resnet_parameters(20, true) - resnet_parameters(20, false) == conv(16, 32, 1) + bn(32) + conv(32, 64, 1) + bn(64));
}

TEST_CASE("VGG parameter counts follow the layer lists of Vgg.h", "[cifar10][vgg]") {
  CHECK(vgg_parameters({128, 256, 256, 512, 512}, 1024) == 13881994);
  CHECK(count(topology("VGG")->network(params("{}"))) == 13881994);
  CHECK(count(topology("VGG")->network(params("{variant: 9}"))) ==
        vgg_parameters({128, 128, 256, 256, 512, 512}, 1024));
  CHECK(count(topology("VGG")->network(params("{variant: 8, width: 0.25}"))) ==
        vgg_parameters({32, 64, 64, 128, 128}, 256));
  CHECK(count(topology("VGG")->network(params("{variant: 9, width: 0.5}"))) ==
        vgg_parameters({64, 64, 128, 128, 256, 256}, 512));
}

TEST_CASE("every CIFAR-10 network maps N x 3 x 32 x 32 images to N x 10 logits", "[cifar10]") {
  for (const std::string yaml : {"{}", "{depth: 32, shortcut: B}", "{depth: 8, width: 4}"}) {
    INFO("ResNet " << yaml);
    auto network = topology("ResNet")->network(params(yaml));
    network->train();
    CHECK(network->forward(torch::rand({3, 3, 32, 32})).sizes() == torch::IntArrayRef({3, 10}));
    network->eval();
    CHECK(network->forward(torch::rand({1, 3, 32, 32})).sizes() == torch::IntArrayRef({1, 10}));
  }
  for (const std::string yaml : {"{}", "{variant: 9, width: 0.25}"}) {
    INFO("VGG " << yaml);
    auto network = topology("VGG")->network(params(yaml));
    network->train();
    CHECK(network->forward(torch::rand({2, 3, 32, 32})).sizes() == torch::IntArrayRef({2, 10}));
    network->eval();
    CHECK(network->forward(torch::rand({1, 3, 32, 32})).sizes() == torch::IntArrayRef({1, 10}));
  }
}

TEST_CASE("CIFAR-10 network params refuse unknown keys and bad values", "[cifar10]") {
  CHECK_THROWS_WITH(topology("ResNet")->network(params("{layers: 3}")),
                    Catch::Contains("network.params.layers") && Catch::Contains("test.yaml"));
  for (const std::string yaml : {"{depth: 21}", "{depth: 2}", "{depth: deep}", "{shortcut: C}", "{width: 0}"})
    CHECK_THROWS_AS(topology("ResNet")->network(params(yaml)), quantlab::ConfigError);
  CHECK_THROWS_WITH(topology("VGG")->network(params("{variant: 11}")),
                    Catch::Contains("network.params.variant") && Catch::Contains("8 or 9"));
  for (const std::string yaml : {"{width: 0}", "{width: -1}", "{depth: 8}"})
    CHECK_THROWS_AS(topology("VGG")->network(params(yaml)), quantlab::ConfigError);
}

TEST_CASE("ResNet blocks are nested Blocks of named layers with the paper's math", "[cifar10][resnet][graph]") {
  torch::manual_seed(5);
  auto network = topology("ResNet")->network(params("{depth: 8, width: 4}"));
  const auto layers = graph::list_layers(*network);
  const std::vector<std::string> block{"conv1", "bn1", "relu1", "conv2", "bn2", "shortcut", "relu2"};
  std::vector<std::string> expected{"conv1", "bn1", "relu1"};
  for (const std::string stage : {"layer1", "layer2", "layer3"}) {
    expected.push_back(stage);
    expected.push_back(stage + ".0");
    for (const auto& layer : block) expected.push_back(stage + ".0." + layer);
  }
  expected.insert(expected.end(), {"pool", "fc"});
  CHECK(names(layers) == expected);
  CHECK(graph::find_layer(*network, "layer2.0").type == "BasicBlock");
  CHECK(graph::find_layer(*network, "layer1.0.shortcut").type == "Identity");
  CHECK(graph::find_layer(*network, "layer2.0.shortcut").type == "ZeroPadShortcut");
  const auto relu = graph::find_layer(*network, "layer3.0.relu2");
  CHECK(relu.parent == graph::find_layer(*network, "layer3.0").module.get());
  CHECK(relu.name_in_parent == "relu2");
  CHECK(graph::select(*network, graph::Rule::name("conv1")).size() == 1);

  // The forward pass written out with the network's own tensors, in eval mode;
  // option A: x subsampled by 2 and padded with zero channels on both sides.
  randomise_batch_norms(*network);
  network->eval();
  const auto p = network->named_parameters();
  const auto b = network->named_buffers();
  const auto conv_bn = [&](const torch::Tensor& x, const std::string& conv_name, const std::string& bn_name,
                           std::int64_t stride) {
    const torch::Tensor y = F::conv2d(x, p[conv_name + ".weight"], F::Conv2dFuncOptions().stride(stride).padding(1));
    return F::batch_norm(y, b[bn_name + ".running_mean"], b[bn_name + ".running_var"],
                         F::BatchNormFuncOptions().weight(p[bn_name + ".weight"]).bias(p[bn_name + ".bias"]));
  };
  const torch::Tensor input = torch::randn({2, 3, 32, 32});
  torch::Tensor x = torch::relu(conv_bn(input, "conv1", "bn1", 1));
  std::int64_t channels = 4;
  for (const std::string stage : {"layer1", "layer2", "layer3"}) {
    const std::string prefix = stage + ".0.";
    const std::int64_t stride = stage == "layer1" ? 1 : 2;
    torch::Tensor y = torch::relu(conv_bn(x, prefix + "conv1", prefix + "bn1", stride));
    y = conv_bn(y, prefix + "conv2", prefix + "bn2", 1);
    torch::Tensor shortcut = x;
    if (stride == 2) {
      shortcut = x.slice(2, 0, x.size(2), 2).slice(3, 0, x.size(3), 2);
      const auto zeros = torch::zeros({2, channels / 2, shortcut.size(2), shortcut.size(3)});
      shortcut = torch::cat({zeros, shortcut, zeros}, 1);
      channels *= 2;
    }
    x = torch::relu(y + shortcut);
  }
  const torch::Tensor expected_logits = F::linear(x.mean({2, 3}), p["fc.weight"], p["fc.bias"]);
  CHECK(torch::allclose(network->forward(input), expected_logits, 1e-4, 1e-5));
}

TEST_CASE("batch-norm folding reaches into ResNet blocks and option B shortcuts", "[cifar10][resnet][graph]") {
  torch::manual_seed(6);
  auto network = topology("ResNet")->network(params("{depth: 8, width: 4, shortcut: B}"));
  CHECK(graph::find_layer(*network, "layer2.0.shortcut.conv").type == "Conv2d");
  randomise_batch_norms(*network);
  network->eval();
  const torch::Tensor input = torch::randn({2, 3, 32, 32});
  const torch::Tensor plain = network->forward(input);
  const auto folded = graph::fold_batch_norm(*network);
  CHECK(folded.size() == 1 + 3 * 2 + 2);
  CHECK(std::count(folded.begin(), folded.end(), std::make_pair(std::string("layer3.0.shortcut.conv"),
                                                                std::string("layer3.0.shortcut.bn"))) == 1);
  CHECK(std::count(folded.begin(), folded.end(),
                   std::make_pair(std::string("layer1.0.conv2"), std::string("layer1.0.bn2"))) == 1);
  CHECK((network->forward(input) - plain).abs().max().item<float>() < 1e-4f);
}

TEST_CASE("VGG is a Block of named layers in the documented order", "[cifar10][vgg][graph]") {
  auto vgg8 = topology("VGG")->network(params("{width: 0.125}"));
  CHECK(names(graph::list_layers(*vgg8)) ==
        std::vector<std::string>{"conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "conv3", "bn3",
                                 "relu3", "pool2", "conv4", "bn4", "relu4", "conv5", "bn5", "relu5", "pool3",
                                 "fc1", "bn6", "relu6", "fc2", "bn7", "relu7", "fc3"});
  auto vgg9 = topology("VGG")->network(params("{variant: 9, width: 0.125}"));
  const auto layers = graph::list_layers(*vgg9);
  CHECK(layers.size() == 28);
  CHECK(names(layers)[3] == "conv2");
  CHECK(layers.back().name == "fc3");
  torch::manual_seed(7);
  randomise_batch_norms(*vgg9);
  vgg9->eval();
  const torch::Tensor input = torch::randn({2, 3, 32, 32});
  const torch::Tensor plain = vgg9->forward(input);
  CHECK(graph::fold_batch_norm(*vgg9).size() == 8);
  CHECK((vgg9->forward(input) - plain).abs().max().item<float>() < 1e-4f);
}

TEST_CASE("CIFAR-10 preprocess scales, then normalizes each channel", "[cifar10]") {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  const torch::Tensor pixels = torch::randint(0, 256, {4, 3, 32, 32}).to(torch::kUInt8);
  const torch::Tensor targets = torch::arange(4);
  const auto out = topology("ResNet")->preprocess({pixels, targets}, false, generator);
  const std::array<double, 3> mean{0.4914, 0.4822, 0.4465}, deviation{0.2470, 0.2435, 0.2616};
  REQUIRE(out.input.scalar_type() == torch::kFloat32);
  for (int c = 0; c < 3; ++c)
    CHECK(torch::allclose(out.input.select(1, c), (pixels.select(1, c).to(torch::kFloat) / 255.0 - mean[c]) / deviation[c],
                          1e-5, 1e-6));
  CHECK(torch::equal(out.target, targets));
}

TEST_CASE("CIFAR-10 augmentation is a pad-4 random crop and a random flip per sample", "[cifar10]") {
  const torch::Tensor pixels = torch::randint(1, 256, {24, 3, 32, 32}).to(torch::kUInt8);
  auto run = [&](std::uint64_t seed) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    return topology("VGG")->preprocess({pixels, torch::arange(24)}, true, generator).input;
  };
  const torch::Tensor first = run(4);
  CHECK(torch::equal(first, run(4)));
  CHECK_FALSE(torch::equal(first, run(5)));
  const torch::Tensor mean = torch::tensor({0.4914, 0.4822, 0.4465}).view({1, 3, 1, 1});
  const torch::Tensor deviation = torch::tensor({0.2470, 0.2435, 0.2616}).view({1, 3, 1, 1});
  const torch::Tensor restored = first * deviation + mean;
  const torch::Tensor padded = torch::constant_pad_nd(pixels.to(torch::kFloat) / 255.0, {4, 4, 4, 4}, 0.0);
  int flipped = 0, shifted = 0;
  for (int n = 0; n < 24; ++n) {
    bool found = false;
    for (int flip = 0; flip < 2 && !found; ++flip) {
      const torch::Tensor source = flip ? padded[n].flip({2}) : padded[n];
      for (int dy = 0; dy <= 8 && !found; ++dy)
        for (int dx = 0; dx <= 8 && !found; ++dx)
          if (torch::allclose(restored[n], source.slice(1, dy, dy + 32).slice(2, dx, dx + 32), 1e-5, 1e-5)) {
            found = true;
            flipped += flip;
            shifted += (dy != 4 || dx != 4) ? 1 : 0;
          }
    }
    CHECK(found);
  }
  CHECK(flipped > 2);
  CHECK(flipped < 22);
  CHECK(shifted > 12);
}

TEST_CASE("default configs are the YAML files in configs/cifar10", "[cifar10]") {
  for (const std::string name : {"ResNet", "VGG"}) {
    INFO(name);
    const auto file = fs::path(QUANTLAB_SOURCE_DIR) / "configs/cifar10" / (name + ".yaml");
    CHECK(topology(name)->default_config() == quantlab::test::read_bytes(file));
  }
}

TEST_CASE("every shipped CIFAR-10 config loads, builds, and its recipe quantizes every conv and linear layer",
          "[cifar10][configs]") {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(QUANTLAB_SOURCE_DIR) / "configs/cifar10"))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  CHECK(files.size() >= 7);
  for (const auto& file : files) {
    INFO(file.string());
    YAML::Node root = quantlab::load_config_file(file);
    const bool pretrained = root["network"]["pretrained"].IsDefined() && !root["network"]["pretrained"].IsNull();
    quantlab::apply_override(root, "network.pretrained=null");  // no experiment to start from here
    // A narrower VGG has the same layers for the recipe and builds 16x faster.
    if (root["network"]["class"].as<std::string>() == "VGG") quantlab::apply_override(root, "network.params.width=0.25");
    const auto config = quantlab::ExperimentConfig::parse(root, file.string());
    const auto topology = cifar10::test::topology(config.network_class);
    const auto built = quantlab::build_network(*topology, config);
    REQUIRE(built.network != nullptr);
    auto optimizer = quantlab::make_optimizer(config.section("training.optimizer"), built.network->parameters());
    const auto schedule = quantlab::LrSchedule::make(config.section("training.lr_scheduler"),
                                                     quantlab::learning_rate(*optimizer), "top1_error", false);
    CHECK(schedule.learning_rate(config.n_epochs - 1) > 0.0);
    const bool quantized = file.stem().string().find('.') != std::string::npos;
    CHECK(pretrained == quantized);  // fine-tuning recipes start from a trained network
    if (quantized) {
      CHECK_FALSE(built.controllers.empty());
      std::size_t plain = 0, twins = 0;
      for (const auto& layer : graph::list_layers(*built.network)) {
        plain += (layer.type == "Conv2d" || layer.type == "Linear") ? 1 : 0;
        twins += (layer.type == "QuantConv2d" || layer.type == "QuantLinear") ? 1 : 0;
      }
      CHECK(plain == 0);
      CHECK(twins > 0);
    } else {
      CHECK(built.controllers.empty());
    }
    built.network->train();
    CHECK(built.network->forward(torch::rand({2, 3, 32, 32})).sizes() == torch::IntArrayRef({2, 10}));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

// The ImageNet plugin's networks (parameter counts against torchvision's
// published ones, output shapes, names, the math of each residual block,
// initialisation) and its per-sample pre-processing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "plugins/imagenet/ImageNetPlugin.h"
#include "quantlab/Errors.h"
#include "quantlib/graph/Graph.h"
#include "support/BatchNorms.h"
#include "support/Files.h"
#include "support/ImageFiles.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using imagenet::test::network;
using imagenet::test::parameter_count;
using imagenet::test::topology;
using quantlab::test::randomise_batch_norms;

namespace {

namespace F = torch::nn::functional;
namespace graph = quantlib::graph;

// The Block a network calls `name` (dotted) through.
std::shared_ptr<quantlib::nn::Block> block(quantlab::Network& net, const std::string& name) {
  auto found = std::dynamic_pointer_cast<quantlib::nn::Block>(graph::find_layer(net, name).module);
  REQUIRE(found != nullptr);
  return found;
}

// Eval-mode batch-norm with the tensors named `<prefix>.*`.
torch::Tensor bn(const torch::OrderedDict<std::string, torch::Tensor>& p,
                 const torch::OrderedDict<std::string, torch::Tensor>& b, const std::string& prefix,
                 const torch::Tensor& x) {
  return F::batch_norm(x, b[prefix + ".running_mean"], b[prefix + ".running_var"],
                       F::BatchNormFuncOptions().weight(p[prefix + ".weight"]).bias(p[prefix + ".bias"]));
}

torch::Tensor conv(const torch::OrderedDict<std::string, torch::Tensor>& p, const std::string& name,
                   const torch::Tensor& x, std::int64_t stride, std::int64_t padding, std::int64_t groups = 1) {
  return F::conv2d(x, p[name + ".weight"], F::Conv2dFuncOptions().stride(stride).padding(padding).groups(groups));
}

std::vector<std::string> names(const std::vector<graph::Layer>& layers) {
  std::vector<std::string> out;
  for (const auto& layer : layers) out.push_back(layer.name);
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Sample standard deviation of a conv weight against Kaiming-normal with
// fan_out and the ReLU gain.
void check_kaiming_fan_out(const torch::Tensor& weight) {
  const double fan_out = static_cast<double>(weight.size(0) * weight.size(2) * weight.size(3));
  const double expected = std::sqrt(2.0 / fan_out);
  CHECK(weight.std().item<double>() == Approx(expected).epsilon(0.05));
  CHECK(std::abs(weight.mean().item<double>()) < 0.05 * expected);
}

}  // namespace

TEST_CASE("the imagenet plugin offers ResNet, MobileNetV1, MobileNetV2 and VGG", "[imagenet]") {
  const auto& plugin = imagenet::test::plugin();
  CHECK(plugin.name == "imagenet");
  std::vector<std::string> topologies;
  for (const auto& candidate : plugin.problem->topologies()) topologies.push_back(candidate->name());
  CHECK(topologies == std::vector<std::string>{"ResNet", "MobileNetV1", "MobileNetV2", "VGG"});
  CHECK(plugin.problem->meter()->main_metric() == "top1_error");
  CHECK_FALSE(plugin.problem->meter()->higher_is_better());
}

TEST_CASE("ResNet parameter counts equal torchvision's for every depth", "[imagenet][resnet]") {
  const std::vector<std::pair<int, std::int64_t>> reference{
      {18, 11689512}, {34, 21797672}, {50, 25557032}, {101, 44549160}, {152, 60192808}};
  for (const auto& [depth, count] : reference) {
    INFO("depth " << depth);
    CHECK(parameter_count(*network("ResNet", "{depth: " + std::to_string(depth) + "}")) == count);
  }
  // Only fc depends on the classes: 512 x 10 + 10 instead of 512 x 1000 + 1000.
  CHECK(parameter_count(*network("ResNet", "{depth: 18, classes: 10}")) == 11689512 - 513000 + 5130);
}

TEST_CASE("ResNet maps 224 x 224 images to class logits and takes smaller inputs too", "[imagenet][resnet]") {
  torch::NoGradGuard no_grad;
  auto resnet18 = network("ResNet", "{depth: 18}");
  resnet18->eval();
  CHECK(resnet18->forward(torch::randn({2, 3, 224, 224})).sizes() == torch::IntArrayRef({2, 1000}));
  auto resnet50 = network("ResNet", "{depth: 50, classes: 7}");
  resnet50->train();
  CHECK(resnet50->forward(torch::randn({2, 3, 64, 64})).sizes() == torch::IntArrayRef({2, 7}));
  auto narrow = network("ResNet", "{depth: 34, classes: 3, width: 8}");
  CHECK(narrow->forward(torch::randn({3, 3, 32, 32})).sizes() == torch::IntArrayRef({3, 3}));
  // width 8 scales every stage: 8, 16, 32, 64 channels into fc.
  CHECK(narrow->named_parameters()["fc.weight"].sizes() == torch::IntArrayRef({3, 64}));
}

TEST_CASE("ResNet has torchvision's parameter names and block layout", "[imagenet][resnet]") {
  auto resnet18 = network("ResNet", "{depth: 18}");
  const auto keys18 = resnet18->named_parameters().keys();
  CHECK(std::vector<std::string>(keys18.begin(), keys18.begin() + 6) ==
        std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight",
                                 "layer1.0.bn1.weight", "layer1.0.bn1.bias"});
  for (const char* key : {"layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight",
                          "layer4.1.conv2.weight", "fc.weight", "fc.bias"})
    CHECK(contains(keys18, key));
  CHECK_FALSE(contains(keys18, "layer1.0.downsample.0.weight"));
  CHECK(contains(resnet18->named_buffers().keys(), "layer3.0.downsample.1.running_mean"));
  CHECK(resnet18->named_parameters()["layer2.0.conv1.weight"].sizes() == torch::IntArrayRef({128, 64, 3, 3}));

  auto resnet50 = network("ResNet", "{depth: 50}");
  const auto p50 = resnet50->named_parameters();
  // The first bottleneck widens 64 -> 256, so even layer1 has a shortcut conv.
  CHECK(p50["layer1.0.downsample.0.weight"].sizes() == torch::IntArrayRef({256, 64, 1, 1}));
  CHECK(p50["layer1.0.conv3.weight"].sizes() == torch::IntArrayRef({256, 64, 1, 1}));
  CHECK(p50["layer3.5.conv2.weight"].sizes() == torch::IntArrayRef({256, 256, 3, 3}));
  CHECK_FALSE(contains(p50.keys(), "layer3.6.conv1.weight"));
  CHECK(p50["fc.weight"].sizes() == torch::IntArrayRef({1000, 2048}));

  // Every ReLU, the ones after the residual sums included, is a layer a
  // Block calls by name, so a recipe can quantize or replace it.
  const auto relus = graph::select(*resnet18, graph::Rule::type("ReLU"));
  CHECK(relus.size() == 1 + 8 * 2);
  for (const auto& relu : relus) CHECK(relu.parent != nullptr);
  CHECK(contains(names(relus), "layer3.1.relu2"));
  const auto layer1 = names(graph::select(*resnet18, graph::Rule::inside("layer1.0")));
  CHECK(layer1 == std::vector<std::string>{"layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu1", "layer1.0.conv2",
                                           "layer1.0.bn2", "layer1.0.relu2"});
  CHECK(graph::select(*resnet50, graph::Rule::type("ReLU")).size() == 1 + 16 * 3);
}

TEST_CASE("ResNet's basic block computes relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut)", "[imagenet][resnet]") {
  torch::manual_seed(3);
  auto net = network("ResNet", "{depth: 18, width: 8}");
  randomise_batch_norms(*net);
  net->eval();
  const auto p = net->named_parameters();
  const auto b = net->named_buffers();
  // layer2.0 halves the side and doubles the width, through its shortcut.
  const torch::Tensor x = torch::randn({2, 8, 10, 10});
  torch::Tensor out = torch::relu(bn(p, b, "layer2.0.bn1", conv(p, "layer2.0.conv1", x, 2, 1)));
  out = bn(p, b, "layer2.0.bn2", conv(p, "layer2.0.conv2", out, 1, 1));
  const torch::Tensor shortcut = bn(p, b, "layer2.0.downsample.1", conv(p, "layer2.0.downsample.0", x, 2, 0));
  const torch::Tensor expected = torch::relu(out + shortcut);
  const torch::Tensor actual = block(*net, "layer2")->call("0", x);
  REQUIRE(actual.sizes() == torch::IntArrayRef({2, 16, 5, 5}));
  CHECK(torch::allclose(actual, expected, 1e-4, 1e-5));

  // layer2.1 adds its input back unchanged.
  const torch::Tensor y = torch::randn({2, 16, 5, 5});
  torch::Tensor inner = torch::relu(bn(p, b, "layer2.1.bn1", conv(p, "layer2.1.conv1", y, 1, 1)));
  inner = bn(p, b, "layer2.1.bn2", conv(p, "layer2.1.conv2", inner, 1, 1));
  CHECK(torch::allclose(block(*net, "layer2")->call("1", y), torch::relu(inner + y), 1e-4, 1e-5));
}

TEST_CASE("ResNet's bottleneck strides its 3x3 conv, as torchvision's", "[imagenet][resnet]") {
  torch::manual_seed(4);
  auto net = network("ResNet", "{depth: 50, width: 4}");
  randomise_batch_norms(*net);
  net->eval();
  const auto p = net->named_parameters();
  const auto b = net->named_buffers();
  // layer2.0: 16 channels in (4 x 4 from layer1), 8 inside, 32 out.
  const torch::Tensor x = torch::randn({2, 16, 9, 9});
  torch::Tensor out = torch::relu(bn(p, b, "layer2.0.bn1", conv(p, "layer2.0.conv1", x, 1, 0)));
  out = torch::relu(bn(p, b, "layer2.0.bn2", conv(p, "layer2.0.conv2", out, 2, 1)));
  out = bn(p, b, "layer2.0.bn3", conv(p, "layer2.0.conv3", out, 1, 0));
  const torch::Tensor shortcut = bn(p, b, "layer2.0.downsample.1", conv(p, "layer2.0.downsample.0", x, 2, 0));
  const torch::Tensor actual = block(*net, "layer2")->call("0", x);
  REQUIRE(actual.sizes() == torch::IntArrayRef({2, 32, 5, 5}));
  CHECK(torch::allclose(actual, torch::relu(out + shortcut), 1e-4, 1e-5));
}

TEST_CASE("ResNet starts as torchvision initialises it", "[imagenet][resnet]") {
  torch::manual_seed(5);
  auto net = network("ResNet", "{depth: 18}");
  const auto p = net->named_parameters();
  check_kaiming_fan_out(p["layer4.0.conv2.weight"]);
  check_kaiming_fan_out(p["conv1.weight"]);
  // fc keeps PyTorch's default: uniform within 1/sqrt(fan_in).
  const double bound = 1.0 / std::sqrt(512.0);
  CHECK(p["fc.weight"].abs().max().item<double>() <= bound);
  CHECK(p["fc.weight"].std().item<double>() == Approx(bound / std::sqrt(3.0)).epsilon(0.05));
}

TEST_CASE("network params refuse unknown keys and bad values, naming them", "[imagenet]") {
  CHECK_THROWS_WITH(network("ResNet", "{depth: 20}"),
                    Catch::Contains("network.params.depth") && Catch::Contains("18, 34, 50, 101, 152") &&
                        Catch::Contains("test.yaml"));
  CHECK_THROWS_WITH(network("ResNet", "{layers: 18}"), Catch::Contains("network.params.layers"));
  CHECK_THROWS_AS(network("ResNet", "{classes: 0}"), quantlab::ConfigError);
  CHECK_THROWS_AS(network("ResNet", "{width: wide}"), quantlab::ConfigError);
  CHECK_THROWS_AS(network("MobileNetV1", "{width: 0}"), quantlab::ConfigError);
  CHECK_THROWS_AS(network("MobileNetV2", "{dropout: 1.0}"), quantlab::ConfigError);
  CHECK_THROWS_AS(network("MobileNetV2", "{depth: 18}"), quantlab::ConfigError);
  CHECK_THROWS_WITH(network("VGG", "{depth: 15}"), Catch::Contains("network.params.depth") &&
                                                       Catch::Contains("11, 13, 16, 19"));
  CHECK_THROWS_AS(network("VGG", "{batch_norm: maybe}"), quantlab::ConfigError);
}

TEST_CASE("MobileNetV1 has the paper's layout: 4,231,976 parameters at width 1", "[imagenet][mobilenet]") {
  CHECK(parameter_count(*network("MobileNetV1", "{}")) == 4231976);
  // At width 0.5 every layer has half the channels: count them from the layout.
  const std::vector<std::pair<std::int64_t, std::int64_t>> blocks{
      {64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
      {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  std::int64_t in = 16, expected = 3 * 16 * 9 + 2 * 16;
  for (const auto& [channels, stride] : blocks) {
    const std::int64_t out = channels / 2;
    expected += in * 9 + 2 * in + in * out + 2 * out;
    in = out;
  }
  expected += in * 10 + 10;
  auto half = network("MobileNetV1", "{width: 0.5, classes: 10}");
  CHECK(parameter_count(*half) == expected);
  const auto p = half->named_parameters();
  CHECK(p["features.1.dw_conv.weight"].sizes() == torch::IntArrayRef({16, 1, 3, 3}));
  CHECK(p["features.13.pw_conv.weight"].sizes() == torch::IntArrayRef({512, 512, 1, 1}));
  torch::NoGradGuard no_grad;
  auto full = network("MobileNetV1", "{}");
  full->eval();
  CHECK(full->forward(torch::randn({1, 3, 224, 224})).sizes() == torch::IntArrayRef({1, 1000}));
  CHECK(half->forward(torch::randn({2, 3, 64, 64})).sizes() == torch::IntArrayRef({2, 10}));
  CHECK(graph::select(*half, graph::Rule::type("ReLU")).size() == 1 + 13 * 2);
}

TEST_CASE("MobileNetV2 has torchvision's 3,504,872 parameters at width 1", "[imagenet][mobilenet]") {
  auto net = network("MobileNetV2", "{}");
  CHECK(parameter_count(*net) == 3504872);
  const auto p = net->named_parameters();
  CHECK(p["features.0.conv.weight"].sizes() == torch::IntArrayRef({32, 3, 3, 3}));
  // Block 1 (t = 1) has no expansion; block 2 expands 16 -> 96 and strides its depthwise conv.
  CHECK_FALSE(p.contains("features.1.expand_conv.weight"));
  CHECK(p["features.1.dw_conv.weight"].sizes() == torch::IntArrayRef({32, 1, 3, 3}));
  CHECK(p["features.2.expand_conv.weight"].sizes() == torch::IntArrayRef({96, 16, 1, 1}));
  CHECK(p["features.17.project_conv.weight"].sizes() == torch::IntArrayRef({320, 960, 1, 1}));
  CHECK(p["features.18.conv.weight"].sizes() == torch::IntArrayRef({1280, 320, 1, 1}));
  CHECK(p["fc.weight"].sizes() == torch::IntArrayRef({1000, 1280}));
  CHECK(graph::select(*net, graph::Rule::type("ReLU6")).size() == 1 + 16 * 2 + 1 + 1);

  torch::NoGradGuard no_grad;
  net->eval();
  CHECK(net->forward(torch::randn({1, 3, 224, 224})).sizes() == torch::IntArrayRef({1, 1000}));
  // Narrower: channels rounded to multiples of 8, the last conv keeps 1280.
  auto narrow = network("MobileNetV2", "{width: 0.5, classes: 5}");
  const auto q = narrow->named_parameters();
  CHECK(q["features.0.conv.weight"].size(0) == 16);
  CHECK(q["features.1.project_conv.weight"].size(0) == 8);
  CHECK(q["features.17.project_conv.weight"].size(0) == 160);
  CHECK(q["fc.weight"].sizes() == torch::IntArrayRef({5, 1280}));
  CHECK(narrow->forward(torch::randn({2, 3, 64, 64})).sizes() == torch::IntArrayRef({2, 5}));
}

TEST_CASE("MobileNetV2's inverted residual adds its input back only when shapes allow", "[imagenet][mobilenet]") {
  torch::manual_seed(6);
  auto net = network("MobileNetV2", "{width: 0.5, classes: 5}");
  randomise_batch_norms(*net);
  net->eval();
  const auto p = net->named_parameters();
  const auto b = net->named_buffers();
  auto block_math = [&](const std::string& at, const torch::Tensor& x, std::int64_t stride) {
    const std::string n = "features." + at + ".";
    torch::Tensor h = torch::clamp(bn(p, b, n + "expand_bn", conv(p, n + "expand_conv", x, 1, 0)), 0, 6);
    h = torch::clamp(bn(p, b, n + "dw_bn", conv(p, n + "dw_conv", h, stride, 1, h.size(1))), 0, 6);
    return bn(p, b, n + "project_bn", conv(p, n + "project_conv", h, 1, 0));
  };
  auto features = block(*net, "features");
  // features.3: 16 -> 16 channels (24 x 0.5, rounded), stride 1: residual.
  const torch::Tensor x = torch::randn({2, 16, 8, 8});
  CHECK(torch::allclose(features->call("3", x), block_math("3", x, 1) + x, 1e-4, 1e-5));
  // features.4: 16 -> 16, stride 2: no residual.
  const torch::Tensor y4 = features->call("4", x);
  REQUIRE(y4.sizes() == torch::IntArrayRef({2, 16, 4, 4}));
  CHECK(torch::allclose(y4, block_math("4", x, 2), 1e-4, 1e-5));
}

TEST_CASE("MobileNets start with Kaiming fan_out convs and N(0, 0.01) classifiers", "[imagenet][mobilenet]") {
  torch::manual_seed(7);
  for (const std::string name : {"MobileNetV1", "MobileNetV2"}) {
    INFO(name);
    auto net = network(name, "{}");
    const auto p = net->named_parameters();
    check_kaiming_fan_out(p[name == "MobileNetV1" ? "features.13.pw_conv.weight" : "features.18.conv.weight"]);
    CHECK(p["fc.weight"].std().item<double>() == Approx(0.01).epsilon(0.02));
    CHECK(torch::equal(p["fc.bias"], torch::zeros_like(p["fc.bias"])));
  }
}

TEST_CASE("VGG parameter counts equal torchvision's", "[imagenet][vgg]") {
  const std::vector<std::tuple<int, bool, std::int64_t>> reference{
      {11, false, 132863336}, {16, false, 138357544}, {16, true, 138365992}, {19, true, 143678248}};
  for (const auto& [depth, batch_norm, count] : reference) {
    INFO("depth " << depth << (batch_norm ? " with batch-norm" : ""));
    CHECK(parameter_count(*network("VGG", "{depth: " + std::to_string(depth) +
                                              ", batch_norm: " + (batch_norm ? "true" : "false") + "}")) == count);
  }
}

TEST_CASE("VGG has torchvision's names and maps images to class logits", "[imagenet][vgg]") {
  torch::manual_seed(8);
  auto vgg16 = network("VGG", "{depth: 16, classes: 10}");
  const auto p = vgg16->named_parameters();
  CHECK(p["features.0.weight"].sizes() == torch::IntArrayRef({64, 3, 3, 3}));
  CHECK(p["features.28.weight"].sizes() == torch::IntArrayRef({512, 512, 3, 3}));
  CHECK(p["classifier.0.weight"].sizes() == torch::IntArrayRef({4096, 25088}));
  CHECK(p["classifier.6.weight"].sizes() == torch::IntArrayRef({10, 4096}));
  check_kaiming_fan_out(p["features.28.weight"]);
  CHECK(torch::equal(p["features.28.bias"], torch::zeros_like(p["features.28.bias"])));
  CHECK(p["classifier.3.weight"].std().item<double>() == Approx(0.01).epsilon(0.02));
  CHECK(graph::select(*vgg16, graph::Rule::type("Conv2d")).size() == 13);
  CHECK(graph::select(*vgg16, graph::Rule::type("Linear")).size() == 3);

  auto vgg11_bn = network("VGG", "{depth: 11, batch_norm: true, classes: 4}");
  const auto q = vgg11_bn->named_parameters();
  CHECK(q["features.1.weight"].sizes() == torch::IntArrayRef({64}));  // batch-norm after the first conv
  CHECK(q["features.4.weight"].sizes() == torch::IntArrayRef({128, 64, 3, 3}));

  torch::NoGradGuard no_grad;
  vgg16->eval();
  CHECK(vgg16->forward(torch::randn({1, 3, 224, 224})).sizes() == torch::IntArrayRef({1, 10}));
  CHECK(vgg11_bn->forward(torch::randn({2, 3, 64, 64})).sizes() == torch::IntArrayRef({2, 4}));
}

TEST_CASE("default configs are the YAML files in configs/imagenet and build", "[imagenet]") {
  for (const std::string name : {"ResNet", "MobileNetV1", "MobileNetV2", "VGG"}) {
    INFO(name);
    const auto file = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "configs/imagenet" / (name + ".yaml");
    const std::string text = topology(name)->default_config();
    CHECK(text == quantlab::test::read_bytes(file));
    const YAML::Node config = YAML::Load(text);
    CHECK(config["network"]["class"].as<std::string>() == name);
    CHECK(config["data"]["augment"].as<bool>());
    CHECK(topology(name)->network(quantlab::Params(config["network"]["params"], "network.params", name)) != nullptr);
  }
}

namespace {

quantlab::Sample jpeg_sample(const quantlab::test::RgbImage& image, std::int64_t target) {
  quantlab::test::JpegOptions options;
  options.quality = 100;
  options.subsample = false;
  const std::string bytes = quantlab::test::encode_jpeg(image, options);
  torch::Tensor encoded = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(encoded.data_ptr(), bytes.data(), bytes.size());
  return {encoded, torch::tensor(target), "memory/img.JPEG"};
}

}  // namespace

TEST_CASE("pre-processing crops 224 x 224, normalizes by ImageNet's statistics, and keeps target and source",
          "[imagenet]") {
  const auto topo = topology("ResNet");
  // A solid colour survives any crop, resize and flip: every pixel of the
  // output is that colour, normalized.
  const auto solid = quantlab::test::solid_image(300, 200, 200, 100, 50);
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float std[3] = {0.229f, 0.224f, 0.225f};
  const float rgb[3] = {200, 100, 50};
  for (const bool augment : {false, true}) {
    INFO("augment " << augment);
    const quantlab::Sample out = topo->preprocess_sample(jpeg_sample(solid, 4), augment, 17);
    REQUIRE(out.input.sizes() == torch::IntArrayRef({3, 224, 224}));
    CHECK(out.input.scalar_type() == torch::kFloat32);
    CHECK(out.target.item<std::int64_t>() == 4);
    CHECK(out.source == "memory/img.JPEG");
    for (int c = 0; c < 3; ++c) {
      const float expected = (rgb[c] / 255.f - mean[c]) / std[c];
      CHECK(out.input[c].sub(expected).abs().max().item<float>() < 3.f / 255.f / std[c]);
    }
  }

  // A picture with content: evaluation is deterministic, training crops
  // depend on the seed alone.
  const auto picture = quantlab::test::smooth_image(320, 240, 1);
  const auto eval_a = topo->preprocess_sample(jpeg_sample(picture, 0), false, 1).input;
  CHECK(torch::equal(eval_a, topo->preprocess_sample(jpeg_sample(picture, 0), false, 2).input));
  const auto train_a = topo->preprocess_sample(jpeg_sample(picture, 0), true, 5).input;
  CHECK(torch::equal(train_a, topo->preprocess_sample(jpeg_sample(picture, 0), true, 5).input));
  CHECK_FALSE(torch::equal(train_a, topo->preprocess_sample(jpeg_sample(picture, 0), true, 6).input));
  CHECK_FALSE(torch::equal(train_a, eval_a));
}

TEST_CASE("pre-processing refuses bytes that are not an image", "[imagenet]") {
  quantlab::Sample sample{torch::randint(0, 256, {500}, torch::kUInt8), torch::tensor(0), "memory/noise.JPEG"};
  for (const bool augment : {false, true}) CHECK_THROWS_AS(topology("VGG")->preprocess_sample(sample, augment, 1),
                                                           quantlab::DataError);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

#include "quantlib/graph/NetworkSummary.h"

#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/nn/Block.h"
#include "quantlib/algorithms/lsq/LsqQuantizer.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/algorithms/tqt/TqtQuantizer.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlib::graph::LayerSummary;
using quantlib::graph::NetworkSummary;
namespace nn = quantlib::nn;
namespace ops = quantlib::ops;

namespace {

// conv3x3(1 -> 4, bias) on 6x6 -> ReLU -> maxpool 2 -> flatten (a view, in
// forward) -> linear(36 -> 3). By hand, per sample:
//   conv: 4*1*3*3 + 4 = 40 parameters, 4*6*6 outputs x 1*3*3 = 1296 MACs
//   fc:   36*3 + 3 = 111 parameters, 3 outputs x 36 = 108 MACs
class TinyNet : public nn::Block {
 public:
  TinyNet() {
    add("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)));
    add("relu", torch::nn::ReLU());
    add("pool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    add("fc", torch::nn::Linear(36, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return call("fc", call("pool", call("relu", call("conv", x))).flatten(1)); }
};

const LayerSummary& row(const NetworkSummary& summary, const std::string& name) {
  for (const auto& layer : summary.layers)
    if (layer.name == name) return layer;
  FAIL("no row " << name);
  static const LayerSummary none;
  return none;
}

std::shared_ptr<nn::PactQuantizer> pact(int64_t bits) {
  return std::make_shared<nn::PactQuantizer>(bits, ops::Signedness::Unsigned, 6.0);
}

// Swaps conv for a twin with 4-bit TQT weights and fc for one with 8-bit
// per-channel LSQ weights, and puts a 6-bit PACT after the ReLU.
void quantize(TinyNet& net) {
  nn::QuantConv2d conv(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(net.layer("conv")));
  conv->set_weight_quantizer(std::make_shared<nn::TqtQuantizer>(4, ops::Signedness::Signed));
  net.replace_layer("conv", conv);
  nn::QuantLinear fc(std::dynamic_pointer_cast<torch::nn::LinearImpl>(net.layer("fc")));
  fc->set_weight_quantizer(std::make_shared<nn::LsqQuantizer>(8, ops::Signedness::Signed, 3));
  net.replace_layer("fc", fc);
  net.set_output_quantizer("relu", pact(6));
}

int64_t sum_rows(const NetworkSummary& summary, int64_t LayerSummary::*field) {
  int64_t sum = 0;
  for (const auto& layer : summary.layers) sum += layer.*field;
  return sum;
}

}  // namespace

TEST_CASE("NetworkSummary counts parameters, MACs and 32-bit size of a plain network", "[summary]") {
  auto net = std::make_shared<TinyNet>();
  const NetworkSummary summary = NetworkSummary::of(*net, torch::randn({1, 1, 6, 6}));

  REQUIRE(summary.layers.size() == 4);
  CHECK(summary.layers[0].name == "conv");
  CHECK(summary.layers[0].type == "Conv2d");
  CHECK(summary.layers[0].output_shape == std::vector<int64_t>{4, 6, 6});
  CHECK(summary.layers[0].parameters == 40);
  CHECK(summary.layers[0].macs == 1296);
  CHECK(summary.layers[0].weight_bits == 32);
  CHECK(summary.layers[0].input_bits == 32);
  CHECK(summary.layers[1].macs == 0);
  CHECK_FALSE(summary.layers[1].weight_bits.has_value());
  CHECK(summary.layers[2].output_shape == std::vector<int64_t>{4, 3, 3});
  CHECK(summary.layers[3].name == "fc");
  CHECK(summary.layers[3].parameters == 111);
  CHECK(summary.layers[3].macs == 108);
  CHECK(summary.layers[3].calls == 1);

  CHECK(summary.input_shape == std::vector<int64_t>{1, 6, 6});
  CHECK(summary.parameters == 151);
  CHECK(summary.macs == 1404);
  CHECK(summary.size_bytes() == 151 * 4);
  CHECK(summary.bops == 1404 * 32 * 32);
}

TEST_CASE("NetworkSummary: MACs are per sample whatever the batch", "[summary]") {
  auto net = std::make_shared<TinyNet>();
  const NetworkSummary summary = NetworkSummary::of(*net, torch::randn({3, 1, 6, 6}));
  CHECK(summary.macs == 1404);
  CHECK(row(summary, "conv").output_shape == std::vector<int64_t>{4, 6, 6});
}

TEST_CASE("NetworkSummary: weight bits from the twins' quantizers, input bits carried through ReLU, pool and flatten",
          "[summary]") {
  auto net = std::make_shared<TinyNet>();
  quantize(*net);
  const NetworkSummary summary = NetworkSummary::of(*net, torch::randn({1, 1, 6, 6}));

  REQUIRE(summary.layers.size() == 4);
  const LayerSummary& conv = row(summary, "conv");
  CHECK(conv.type == "QuantConv2d");
  CHECK(conv.weight_bits == 4);
  CHECK(conv.input_bits == 32);  // the network input is not quantized
  CHECK(conv.macs == 1296);
  CHECK(conv.bops == 1296 * 4 * 32);
  CHECK(conv.parameters == 40 + 1);                       // + TQT's log2_t
  CHECK(conv.memory_bits == 36 * 4 + 4 * 32 + 2 * 32);   // weight, bias, TQT's log2_t and initialised
  CHECK(row(summary, "relu").input_bits == 32);
  CHECK(row(summary, "relu").parameters == 1);            // PACT's alpha
  CHECK(row(summary, "pool").input_bits == 6);
  const LayerSummary& fc = row(summary, "fc");
  CHECK(fc.type == "QuantLinear");
  CHECK(fc.weight_bits == 8);
  CHECK(fc.input_bits == 6);  // PACT after the ReLU, through pool and flatten
  CHECK(fc.bops == 108 * 8 * 6);
  CHECK(fc.memory_bits == 108 * 8 + 3 * 32 + (3 + 1) * 32);  // weight, bias, LSQ's steps and initialised
  // The quantizers behind those bits.
  const auto twin = [&](const std::string& name) {
    return std::dynamic_pointer_cast<nn::QuantizedLayer>(net->layer(name))->weight_quantizer().get();
  };
  CHECK(conv.weight_quantizer == twin("conv"));
  CHECK(conv.input_quantizer == nullptr);
  CHECK(fc.weight_quantizer == twin("fc"));
  CHECK(fc.input_quantizer == net->output_quantizer("relu").get());

  CHECK(summary.parameters == 151 + 1 + 3 + 1);
  CHECK(summary.macs == 1404);
  CHECK(summary.bops == 1296 * 4 * 32 + 108 * 8 * 6);
  CHECK(summary.size_bits == (36 * 4 + 4 * 32 + 2 * 32) + 32 + (108 * 8 + 3 * 32 + 4 * 32));
  CHECK(summary.size_bytes() == (summary.size_bits + 7) / 8);
}

TEST_CASE("NetworkSummary: a layer's input quantizer decides its input bits", "[summary]") {
  auto net = std::make_shared<TinyNet>();
  quantize(*net);
  net->set_input_quantizer("fc", pact(3));
  const NetworkSummary summary = NetworkSummary::of(*net, torch::randn({1, 1, 6, 6}));
  CHECK(row(summary, "fc").input_bits == 3);
  CHECK(row(summary, "fc").bops == 108 * 8 * 3);
  CHECK(row(summary, "fc").parameters == 111 + 3 + 1);  // + LSQ's steps and the input PACT's alpha
}

namespace {

// features (a nested Sequential: conv, ReLU, batch-norm) -> fc; the network
// holds one parameter of its own.
class NestedNet : public nn::Block {
 public:
  NestedNet() {
    features_ = add("features", nn::Sequential());
    features_->push_back("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 2, 3).bias(false)));
    features_->push_back("relu", torch::nn::ReLU());
    features_->push_back("bn", torch::nn::BatchNorm2d(2));
    add("fc", torch::nn::Linear(2 * 4 * 4, 5));
    temperature_ = register_parameter("temperature", torch::ones({1}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return call("fc", call("features", x).flatten(1)) * temperature_; }
  nn::Sequential features_;
  torch::Tensor temperature_;
};

}  // namespace

TEST_CASE("NetworkSummary: nested blocks, a layer that leaves the grid, tensors outside layers", "[summary]") {
  auto net = std::make_shared<NestedNet>();
  net->features_->set_output_quantizer("relu", pact(4));
  const NetworkSummary summary = NetworkSummary::of(*net, torch::randn({1, 1, 6, 6}));

  const LayerSummary& conv = row(summary, "features.conv");
  CHECK(conv.macs == 2 * 4 * 4 * 9);
  CHECK(row(summary, "features.bn").input_bits == 4);
  CHECK(row(summary, "fc").input_bits == 32);  // batch-norm moves values off the grid
  CHECK(row(summary, "fc").macs == 5 * 32);
  const LayerSummary& elsewhere = summary.layers.back();
  CHECK(elsewhere.name == "(elsewhere)");
  CHECK(elsewhere.parameters == 1);

  // Every parameter and buffer once: conv 18, relu's PACT 1, bn 2 + 2 (+1 counter), fc 165, temperature 1.
  CHECK(summary.parameters == 18 + 1 + 4 + 165 + 1);
  CHECK(summary.size_bits == (18 + 1 + 4 + 5 + 165 + 1) * 32);
  CHECK(summary.parameters == sum_rows(summary, &LayerSummary::parameters));
  CHECK(summary.size_bits == sum_rows(summary, &LayerSummary::memory_bits));

  // An output quantizer on the nested block itself wins over its last layer's grid.
  net->set_output_quantizer("features", pact(5));
  CHECK(row(NetworkSummary::of(*net, torch::randn({1, 1, 6, 6})), "fc").input_bits == 5);
}

TEST_CASE("NetworkSummary leaves the network's mode and its quantizers as they were", "[summary]") {
  auto net = std::make_shared<TinyNet>();
  quantize(*net);
  auto relu_quantizer = net->output_quantizer("relu");
  relu_quantizer->set_enabled(true);
  net->train();
  NetworkSummary::of(*net, torch::randn({1, 1, 6, 6}));
  CHECK(net->is_training());
  CHECK(net->layer("conv")->is_training());
  CHECK(relu_quantizer->enabled());
  CHECK(relu_quantizer->is_training());

  net->eval();
  NetworkSummary::of(*net, torch::randn({1, 1, 6, 6}));
  CHECK_FALSE(net->layer("fc")->is_training());
}

namespace {

// A weight quantizer holding per-weight training state, as INQ's frozen mask.
class MaskedQuantizer : public nn::Quantizer {
 public:
  explicit MaskedQuantizer(int64_t weights) : nn::Quantizer("MaskedQuantizer", /*enabled=*/true) {
    register_buffer("mask", torch::ones({weights}));
    register_buffer("scale", torch::ones({1}));
  }
  int64_t bits() const override { return 3; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override { return x; }
};

}  // namespace

TEST_CASE("NetworkSummary: per-weight training state of a weight quantizer is not model size", "[summary]") {
  auto net = std::make_shared<TinyNet>();
  nn::QuantConv2d conv(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(net->layer("conv")));
  conv->set_weight_quantizer(std::make_shared<MaskedQuantizer>(36));
  net->replace_layer("conv", conv);
  const NetworkSummary summary = NetworkSummary::of(*net, torch::randn({1, 1, 6, 6}));
  CHECK(row(summary, "conv").memory_bits == 36 * 3 + 4 * 32 + 1 * 32);  // weight, bias, scale; no mask
  CHECK(row(summary, "conv").bops == 1296 * 3 * 32);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

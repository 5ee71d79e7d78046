// ONNX export: hand-built integer networks (every node kind and every
// lowering path) and integerized trained networks pass ONNX's checker and give
// in ONNX Runtime what IntegerNetwork::forward gives; metadata, refusals,
// damaged files.
#include <catch2/catch.hpp>

#include <algorithm>

#include <torch/torch.h>

#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"
#include "quantlib/deploy/Integerize.h"
#include "quantlib/deploy/OnnxExport.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/algorithms/ternary/TernaryQuantizer.h"
#include "quantlib/algorithms/uniform/UniformWeightQuantizer.h"
#include "quantlib/deploy/OnnxRuntimeRunner.h"
#include "support/IntegerNetworks.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib::deploy;
using namespace quantlab::test;
namespace fs = std::filesystem;

namespace {

void write_model(const IntegerNetwork& network, const OnnxExportOptions& options, const fs::path& file) {
  quantlab::write_file_atomically(file, onnx_model_bytes(network, options));
}

// wide_network with a plain two-input (residual) Requant instead of the
// threshold one, which only the integer form expresses.
IntegerNetwork wide_residual_network() {
  IntegerNetwork network = wide_network();
  network.nodes[4] = requant_node("residual", {2, 3}, {longs(doubles({3})), longs(doubles({1, 2, 1}))},
                                  longs(doubles({0})), 2, Rounding::Nearest, -128, 127);
  return network;
}

// Small trained networks for the path integerize -> export -> ONNX Runtime.
using quantlib::nn::Block;

std::shared_ptr<quantlib::nn::Quantizer> pact8() {
  return std::make_shared<quantlib::nn::PactQuantizer>(8, quantlib::ops::Signedness::Unsigned, 4.0);
}

std::shared_ptr<quantlib::nn::Quantizer> ternary_activations() {
  return std::make_shared<quantlib::nn::TernaryQuantizer>(quantlib::nn::TernaryQuantizer::Kind::Activations);
}

void quantize_weights(Block& net, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    auto layer = std::dynamic_pointer_cast<quantlib::nn::QuantizedLayer>(quantlib::graph::find_layer(net, name).module);
    REQUIRE(layer);
    int64_t channels = 0;
    for (const auto& parameter : layer->named_parameters())
      if (parameter.key().find("weight") != std::string::npos) channels = parameter.value().size(0);
    layer->set_weight_quantizer(std::make_shared<quantlib::nn::UniformWeightQuantizer>(8, channels));
  }
}

// conv-bn-act-maxpool twice, fc-act-fc; `ternary` makes the conv activations
// ternary (threshold requantization).
struct PactCnn : Block {
  explicit PactCnn(bool ternary) : Block("PactCnn") {
    add("conv1", quantlib::nn::QuantConv2d(torch::nn::Conv2dOptions(1, 6, 3).padding(1).bias(false)));
    add("bn1", torch::nn::BatchNorm2d(6));
    add("relu1", torch::nn::ReLU());
    add("pool1", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    add("conv2", quantlib::nn::QuantConv2d(torch::nn::Conv2dOptions(6, 8, 3).padding(1).bias(false)));
    add("bn2", torch::nn::BatchNorm2d(8));
    add("relu2", torch::nn::ReLU());
    add("pool2", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    add("fc1", quantlib::nn::QuantLinear(torch::nn::LinearOptions(32, 16)));
    add("relu3", torch::nn::ReLU());
    add("fc2", quantlib::nn::QuantLinear(torch::nn::LinearOptions(16, 10)));
    quantize_weights(*this, {"conv1", "conv2", "fc1", "fc2"});
    for (const std::string relu : {"relu1", "relu2"})
      set_output_quantizer(relu, ternary ? ternary_activations() : pact8(), true);
    set_output_quantizer("relu3", pact8(), true);
  }
  torch::Tensor forward(torch::Tensor x) {
    for (const std::string b : {"1", "2"}) x = call("pool" + b, call("relu" + b, call("bn" + b, call("conv" + b, x))));
    return call("fc2", call("relu3", call("fc1", x.flatten(1))));
  }
};

// A residual sum (two-input requantization) and adaptive average pooling (SumPool2d).
struct ResidualCnn : Block {
  struct Residual : Block {
    Residual() : Block("Residual") {
      add("conv_a", quantlib::nn::QuantConv2d(torch::nn::Conv2dOptions(6, 6, 3).padding(1).bias(false)));
      add("bn_a", torch::nn::BatchNorm2d(6));
      add("relu_a", torch::nn::ReLU());
      add("conv_b", quantlib::nn::QuantConv2d(torch::nn::Conv2dOptions(6, 6, 3).padding(1).bias(false)));
      add("bn_b", torch::nn::BatchNorm2d(6));
      set_output_quantizer("relu_a", pact8(), true);
    }
    torch::Tensor forward(torch::Tensor x) {
      return call("bn_b", call("conv_b", call("relu_a", call("bn_a", call("conv_a", x))))) + x;
    }
  };
  ResidualCnn() : Block("ResidualCnn") {
    add("stem", quantlib::nn::QuantConv2d(torch::nn::Conv2dOptions(1, 6, 3).padding(1).stride(2).bias(false)));
    add("bn", torch::nn::BatchNorm2d(6));
    add("relu", torch::nn::ReLU());
    add("block", std::make_shared<Residual>());
    add("relu_out", torch::nn::ReLU());
    add("avgpool", torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(2)));
    add("flatten", torch::nn::Flatten());
    add("fc", quantlib::nn::QuantLinear(torch::nn::LinearOptions(24, 10)));
    quantize_weights(*this, {"stem", "block.conv_a", "block.conv_b", "fc"});
    set_output_quantizer("relu", pact8(), true);
    set_output_quantizer("relu_out", pact8(), true);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = call("relu_out", call("block", call("relu", call("bn", call("stem", x)))));
    return call("fc", call("flatten", call("avgpool", x)));
  }
};

// A few SGD steps on random data move batch norm and PACT's bounds.
void train_steps(Block& net, const std::function<torch::Tensor(const torch::Tensor&)>& forward) {
  torch::manual_seed(3);
  torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.02).momentum(0.9));
  net.train();
  for (int i = 0; i < 8; ++i) {
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(forward(torch::randn({32, 1, 8, 8})), torch::randint(0, 10, {32}))
        .backward();
    optimizer.step();
  }
  net.eval();
}

// 64 samples the trained networks below are integerized with and tested on.
torch::Tensor trained_test_input() {
  torch::manual_seed(11);
  return torch::randn({64, 1, 8, 8}) * 1.5;
}

// "pact-w8a8", "ternary-activations" (PactCnn) or "residual-avgpool"
// (ResidualCnn), a few steps trained, integerized on `x`.
IntegerNetwork trained_integer_network(const std::string& kind, const torch::Tensor& x) {
  torch::manual_seed(2);  // the initial weights, whatever ran before in this process
  std::shared_ptr<Block> net;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
  if (kind == "residual-avgpool") {
    auto residual = std::make_shared<ResidualCnn>();
    forward = [residual](const torch::Tensor& input) { return residual->forward(input); };
    net = residual;
  } else {
    auto cnn = std::make_shared<PactCnn>(kind == "ternary-activations");
    forward = [cnn](const torch::Tensor& input) { return cnn->forward(input); };
    net = cnn;
  }
  train_steps(*net, forward);
  return integerize(*net, forward, x.slice(0, 0, 2), infer_input_quantization(torch::round(x * 32) / 32));
}

int count(const std::vector<std::string>& items, const std::string& item) {
  return static_cast<int>(std::count(items.begin(), items.end(), item));
}

// |ONNX Runtime - executor| in output steps (OnnxExport.h: logit c's step is
// the Dequant's first scale for c), per element.
torch::Tensor steps_apart(const IntegerNetwork& network, const torch::Tensor& actual, const torch::Tensor& expected) {
  const torch::Tensor step = network.nodes.back().dequant_scales[0].to(torch::kFloat).reshape({1, -1});
  return (actual - expected).abs().div(step);
}

struct FormRun {
  OnnxModelInfo info;
  torch::Tensor expected;
  torch::Tensor actual;
};

FormRun run_form(const IntegerNetwork& network, OnnxForm form, const std::vector<int64_t>& input_shape,
                 const torch::Tensor& x, const quantlab::test::TempDir& dir) {
  const fs::path file = dir / (std::string(onnx_form_name(form)) + ".onnx");
  write_model(network, {input_shape, {{"problem", "test"}}, form}, file);
  FormRun run{check_onnx_file(file), network.forward(x), quantlab::test::run_in_onnxruntime(file, x, dir.path())};
  REQUIRE(run.actual.sizes() == run.expected.sizes());
  CHECK(run.info.metadata.at("quantlab.onnx_form") == onnx_form_name(form));
  CHECK(run.info.opset == kOnnxOpset);
  return run;
}

}  // namespace

TEST_CASE("ONNX export of a hand-built 8-bit integer network runs in ONNX Runtime exactly as the executor",
          "[deploy][onnx]") {
  torch::manual_seed(3);
  IntegerNetwork network = eight_bit_network();
  const std::vector<int64_t> input_shape{1, 7, 7};

  quantlab::test::TempDir dir;
  const fs::path file = dir / "model.onnx";
  write_model(network, {input_shape, {{"problem", "handmade"}}, OnnxForm::integer}, file);

  const OnnxModelInfo info = check_onnx_file(file);
  CHECK(info.ir_version == kOnnxIrVersion);
  CHECK(info.opset == kOnnxOpset);
  CHECK(count(info.op_types, "ConvInteger") == 2);  // conv1 and the sum pool
  CHECK(count(info.op_types, "MatMulInteger") == 1);
  CHECK(count(info.op_types, "MaxPool") == 1);
  CHECK(count(info.op_types, "Conv") == 0);
  // Weights are stored as integers (uint8 with zero point 128), none as floats.
  CHECK(count(info.initializer_types, "FLOAT") == 0);
  CHECK(count(info.initializer_types, "UINT8") >= 3);
  CHECK(info.metadata.at("quantlab.inexact_layers").empty());

  // Inputs on both sides of every rounding boundary and of the clamp.
  const torch::Tensor x = torch::rand({6, 1, 7, 7}) * 3.0 - 0.6;
  const torch::Tensor expected = network.forward(x);
  const torch::Tensor actual = quantlab::test::run_in_onnxruntime(file, x, dir.path());
  REQUIRE(actual.sizes() == expected.sizes());
  CHECK(torch::equal(actual, expected));
  // The network is not trivial: its outputs vary across samples.
  CHECK(expected.std().item<double>() > 0);
}

TEST_CASE("ONNX export of operands wider than 8 bits, thresholds and residual sums matches the executor",
          "[deploy][onnx]") {
  torch::manual_seed(5);
  const IntegerNetwork network = wide_network();
  quantlab::test::TempDir dir;
  const fs::path file = dir / "wide.onnx";
  write_model(network, {{1, 6, 6}, {}, OnnxForm::integer}, file);

  const OnnxModelInfo info = check_onnx_file(file);
  CHECK(count(info.op_types, "Conv") == 2);  // int32 weights; a 2001-level input
  CHECK(count(info.op_types, "MatMul") == 1);
  CHECK(count(info.op_types, "MatMulInteger") == 1);
  CHECK(count(info.op_types, "GreaterOrEqual") == 1);
  CHECK(count(info.op_types, "Reshape") == 1);
  CHECK(info.metadata.at("quantlab.inexact_layers").empty());

  const torch::Tensor x = torch::rand({5, 1, 6, 6}) * 3.0 - 0.6;
  const auto values = network.run(x);
  // The ternary layer takes all three levels, or the threshold path is untested.
  CHECK(std::get<0>(torch::_unique(values[4])).numel() == 3);
  const torch::Tensor expected = values.back();
  const torch::Tensor actual = quantlab::test::run_in_onnxruntime(file, x, dir.path());
  REQUIRE(actual.sizes() == expected.sizes());
  CHECK(torch::equal(actual, expected));
}

TEST_CASE("ONNX export writes metadata: caller keys, bit widths, input normalization", "[deploy][onnx]") {
  torch::manual_seed(3);
  IntegerNetwork network = eight_bit_network();
  quantlab::test::TempDir dir;
  write_model(network,
              {{1, 7, 7}, {{"problem", "fashionmnist"}, {"topology", "SimpleCNN"}, {"exp_id", "3"}}, OnnxForm::integer},
              dir / "m.onnx");
  const auto metadata = check_onnx_file(dir / "m.onnx").metadata;
  CHECK(metadata.at("problem") == "fashionmnist");
  CHECK(metadata.at("topology") == "SimpleCNN");
  CHECK(metadata.at("exp_id") == "3");
  CHECK(metadata.at("bits.activations") == "act1: 8u, act2: 8s");
  CHECK(metadata.at("bits.weights") == "conv1: 8s, fc: 8s");
  CHECK(metadata.at("input.zero_point") == "3");
  CHECK(metadata.at("input.step") == "0.125");
  CHECK(metadata.at("input.normalization").find("(p - 3)") != std::string::npos);
  CHECK(metadata.count("quantlab.version"));
}

// Nothing half-written at --out is qlhost export's (tested in QlhostExportTest).
TEST_CASE("ONNX export refuses a node it cannot express, naming the layer and operator", "[deploy][onnx]") {
  torch::manual_seed(3);
  IntegerNetwork network = eight_bit_network();
  network.nodes[2].shift = 63;  // int64 has no 2^63
  try {
    onnx_model_bytes(network, {{1, 7, 7}, {}, OnnxForm::integer});
    FAIL("the ONNX lowering accepted a shift of 63");
  } catch (const quantlab::ConfigError& error) {
    const std::string message = error.what();
    CHECK(message.find("'act1'") != std::string::npos);
    CHECK(message.find("Requant") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("check_onnx_file rejects a file that is not a valid ONNX model", "[deploy][onnx]") {
  quantlab::test::TempDir dir;
  quantlab::test::write_bytes(dir / "junk.onnx", std::string("\x08\x96\x01 not a model", 16));
  CHECK_THROWS_AS(check_onnx_file(dir / "junk.onnx"), quantlab::DataError);
  CHECK_THROWS_AS(check_onnx_file(dir / "missing.onnx"), quantlab::DataError);
}

TEST_CASE("An integerized trained network runs in ONNX Runtime as IntegerNetwork::forward", "[deploy][onnx]") {
  const std::string kind = GENERATE(as<std::string>{}, "pact-w8a8", "ternary-activations", "residual-avgpool");
  const torch::Tensor x = trained_test_input();
  const IntegerNetwork integer = trained_integer_network(kind, x);

  quantlab::test::TempDir dir;
  const fs::path file = dir / (kind + ".onnx");
  write_model(integer, {{1, 8, 8}, {{"problem", "test"}}, OnnxForm::integer}, file);
  const OnnxModelInfo info = check_onnx_file(file);
  CHECK(info.metadata.at("quantlab.inexact_layers").empty());

  const torch::Tensor expected = integer.forward(x);
  const torch::Tensor actual = quantlab::test::run_in_onnxruntime(file, x, dir.path());
  REQUIRE(actual.sizes() == expected.sizes());
  // One quantization step of the output: its dequantization scale.
  const torch::Tensor step = integer.nodes.back().dequant_scales[0].to(torch::kFloat).reshape({1, -1});
  const double worst_in_steps = (actual - expected).abs().div(step).max().item<double>();
  INFO(kind << ": worst difference " << worst_in_steps << " output steps");
  CHECK(worst_in_steps <= 1.0);
  CHECK(torch::equal(actual.argmax(1), expected.argmax(1)));
  // The lowering is exact for these networks, not just close.
  CHECK(torch::equal(actual, expected));
  // The outputs differ from sample to sample, so the equalities above say something.
  CHECK(expected.sub(expected[0]).abs().max().item<double>() > 0);
}

TEST_CASE("The qdq and qop forms of hand-built networks stay within one output step of the executor",
          "[deploy][onnx]") {
  const OnnxForm form = GENERATE(OnnxForm::qdq, OnnxForm::qop);
  const bool residual = GENERATE(false, true);
  INFO(onnx_form_name(form) << (residual ? " wide residual network" : " 8-bit network"));
  torch::manual_seed(residual ? 5 : 3);
  IntegerNetwork network = residual ? wide_residual_network() : eight_bit_network();
  const std::vector<int64_t> input_shape = residual ? std::vector<int64_t>{1, 6, 6} : std::vector<int64_t>{1, 7, 7};
  quantlab::test::TempDir dir;
  // Inputs on both sides of every rounding boundary and of the clamp.
  const torch::Tensor x = torch::rand({8, 1, input_shape[1], input_shape[2]}) * 3.0 - 0.6;
  const FormRun run = run_form(network, form, input_shape, x, dir);

  const auto& ops = run.info.op_types;
  CHECK(count(ops, "ConvInteger") + count(ops, "MatMulInteger") == 0);
  CHECK(count(ops, "QuantizeLinear") >= 2);
  // Weights are int8 initializers, activations uint8.
  CHECK(count(run.info.initializer_types, "INT8") >= 2);
  if (!residual) {
    // conv1 -> act1 is the fusable product: QLinearConv in qop, DQ -> Conv -> Q with an int32 bias in qdq.
    CHECK(count(ops, "QLinearConv") == (form == OnnxForm::qop ? 1 : 0));
    CHECK(count(run.info.initializer_types, "INT32") == 1);
    CHECK(count(ops, "MaxPool") == 1);
    CHECK(count(ops, "AveragePool") == 1);
    CHECK(run.info.metadata.at("quantlab.float_layers") == "fc");
  } else {
    // Products of wide operands and residual terms run on floats, and say so.
    CHECK(run.info.metadata.at("quantlab.float_layers") == "wide_conv, pointwise, fc_ternary, fc_wide");
    CHECK(count(ops, "Round") == 1);  // wide_act: 2001 levels
  }
  CHECK(run.expected.std().item<double>() > 0);
  if (!quantlab::test::int8_products_exact_here()) {
    WARN("uint8 x int8 products saturate on this CPU (no VNNI): the one-step bound is not checked");
    return;
  }
  const double worst = steps_apart(network, run.actual, run.expected).max().item<double>();
  INFO("worst difference " << worst << " output steps");
  CHECK(worst <= 1.0);
  CHECK(torch::equal(run.actual.argmax(1), run.expected.argmax(1)));
}

// How close it comes is tested on the trained networks below.
TEST_CASE("The float form is the unrounded fp32 network: no Q/DQ, float weights",
          "[deploy][onnx]") {
  torch::manual_seed(3);
  IntegerNetwork network = eight_bit_network();
  quantlab::test::TempDir dir;
  const torch::Tensor x = torch::rand({8, 1, 7, 7}) * 3.0 - 0.6;
  const FormRun run = run_form(network, OnnxForm::float32, {1, 7, 7}, x, dir);
  const auto& ops = run.info.op_types;
  CHECK(count(ops, "QuantizeLinear") + count(ops, "DequantizeLinear") + count(ops, "Round") == 0);
  CHECK(count(ops, "Conv") == 1);
  CHECK(count(ops, "Gemm") == 1);
  CHECK(count(run.info.initializer_types, "INT8") + count(run.info.initializer_types, "UINT8") == 0);
  CHECK(run.info.metadata.count("quantlab.float_layers") == 0);
  CHECK(torch::isfinite(run.actual).all().item<bool>());
}

TEST_CASE("The qdq, qop and float forms refuse a threshold requantization, naming the layer", "[deploy][onnx]") {
  const OnnxForm form = GENERATE(OnnxForm::qdq, OnnxForm::qop, OnnxForm::float32);
  torch::manual_seed(5);
  try {
    onnx_model_bytes(wide_network(), {{1, 6, 6}, {}, form});
    FAIL("the " << onnx_form_name(form) << " form accepted a threshold Requant");
  } catch (const quantlab::ConfigError& error) {
    const std::string message = error.what();
    CHECK_THAT(message, Catch::Contains("'ternary'") && Catch::Contains("threshold") &&
                            Catch::Contains(std::string("--onnx-form ") + onnx_form_name(form)));
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("parse_onnx_form names the flag, the value and the forms", "[deploy][onnx]") {
  CHECK(parse_onnx_form("qdq") == OnnxForm::qdq);
  CHECK(parse_onnx_form("float") == OnnxForm::float32);
  CHECK(OnnxExportOptions{}.form == OnnxForm::qdq);
  try {
    parse_onnx_form("int8");
    FAIL("parse_onnx_form accepted int8");
  } catch (const quantlab::ConfigError& error) {
    CHECK(std::string(error.what()) == "--onnx-form int8: expected qdq, qop, integer or float");
  }
}

TEST_CASE("Integerized trained networks in the qdq, qop and float forms run in ONNX Runtime near the executor",
          "[deploy][onnx]") {
  const std::string kind = GENERATE(as<std::string>{}, "pact-w8a8", "residual-avgpool");
  const OnnxForm form = GENERATE(OnnxForm::qdq, OnnxForm::qop, OnnxForm::float32);
  INFO(kind << ", form " << onnx_form_name(form));
  const torch::Tensor x = trained_test_input();
  const IntegerNetwork integer = trained_integer_network(kind, x);
  quantlab::test::TempDir dir;
  const FormRun run = run_form(integer, form, {1, 8, 8}, x, dir);
  const torch::Tensor apart = steps_apart(integer, run.actual, run.expected);
  const double within = apart.le(1.0).to(torch::kDouble).mean().item<double>();
  const double agree = run.actual.argmax(1).eq(run.expected.argmax(1)).to(torch::kDouble).mean().item<double>();
  INFO("worst " << apart.max().item<double>() << " output steps; " << within << " of the logits within one step; "
                << agree << " of the argmaxes equal");
  CHECK(run.expected.sub(run.expected[0]).abs().max().item<double>() > 0);
  // Integerize's requant offsets are not multiples of their multipliers, so
  // the qdq/qop int32 biases round (OnnxExport.h): an 8-bit activation whose
  // pre-rounding value lies within half a multiplier of a boundary moves by one
  // level, and a logit reading it by |w| output steps. Measured on these
  // networks (2026-12-06): 92 to 95% of the logits within one step, every
  // argmax equal. The one-step bound itself is tested on the hand-built
  // networks, where no bias rounds.
  // residual-avgpool adds a rounding the integer network lacks: conv_b, read
  // by the residual sum, is quantized onto the sum's own step before the Add
  // (OnnxExport.h), which moves about a quarter of relu_out's levels by one;
  // fc reads their pooled sums with int8 weights, so one level moves a logit
  // by up to 127 output steps. Measured (2026-12-06): 56% of the logits within
  // one step (was 92-95% before the term was quantized), 63 of 64 argmaxes
  // equal. The bound moves from 0.85 to 0.45 for this network only.
  if (form == OnnxForm::float32) {
    CHECK(agree >= 0.75);
  } else if (!quantlab::test::int8_products_exact_here()) {
    WARN("uint8 x int8 products saturate on this CPU (no VNNI): the qdq/qop bounds are not checked");
  } else {
    CHECK(count(run.info.op_types, "QuantizeLinear") >= 1);
    CHECK(within >= (kind == "residual-avgpool" ? 0.45 : 0.85));
    CHECK(agree >= 0.95);
  }
  if (kind == "residual-avgpool" && form != OnnxForm::float32) {
    // conv_b runs on an int8 kernel: no float layer but fc (it reads the average pool's float sums).
    CHECK(run.info.metadata.at("quantlab.float_layers") == "fc");
    CHECK(count(run.info.op_types, "QLinearConv") == (form == OnnxForm::qop ? 3 : 0));
  }
}

TEST_CASE("The qdq form refuses a trained network with ternary activations, naming the layer", "[deploy][onnx]") {
  const torch::Tensor x = trained_test_input();
  CHECK_THROWS_WITH(onnx_model_bytes(trained_integer_network("ternary-activations", x), {{1, 8, 8}, {}}),
                    Catch::Contains("'relu1'") && Catch::Contains("threshold"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

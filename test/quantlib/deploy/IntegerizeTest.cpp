// Integerize + the integer executor against the fake-quantized network they
// come from: small networks with each quantizer kind, trained a few steps.
#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <functional>
#include <map>
#include <string>

#include <torch/torch.h>

#include "quantlib/deploy/FastIntegerNetwork.h"
#include "quantlib/deploy/Integerize.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/algorithms/binary/BinaryQuantizer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/algorithms/inq/InqQuantizer.h"
#include "quantlib/algorithms/lsq/LearnedBitsQuantizer.h"
#include "quantlib/algorithms/lsq/LsqQuantizer.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/algorithms/rsign/RSignQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/algorithms/ste/SteQuantizer.h"
#include "quantlib/algorithms/ternary/TernaryQuantizer.h"
#include "quantlib/algorithms/tqt/TqtQuantizer.h"
#include "quantlib/algorithms/uniform/UniformWeightQuantizer.h"
#include "support/RequantCheck.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;
using deploy::IntegerNetwork;
using deploy::OpKind;
using torch::Tensor;

namespace {

using WeightQuantizerFactory = std::function<std::shared_ptr<nn::Quantizer>(int64_t channels)>;
using ActivationQuantizerFactory = std::function<std::shared_ptr<nn::Quantizer>()>;

// conv-bn-relu-pool x2, flatten, dropout, fc-relu-fc on 1x8x8 images.
struct SmallCnn : nn::Block {
  SmallCnn() {
    add("conv1", nn::QuantConv2d(torch::nn::Conv2dOptions(1, 6, 3).padding(1).bias(false)));
    add("bn1", torch::nn::BatchNorm2d(6));
    add("relu1", torch::nn::ReLU());
    add("pool1", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    add("conv2", nn::QuantConv2d(torch::nn::Conv2dOptions(6, 8, 3).padding(1).bias(false)));
    add("bn2", torch::nn::BatchNorm2d(8));
    add("relu2", torch::nn::ReLU());
    add("pool2", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    add("dropout", torch::nn::Dropout(0.2));
    add("fc1", nn::QuantLinear(torch::nn::LinearOptions(32, 16)));
    add("relu3", torch::nn::ReLU());
    add("fc2", nn::QuantLinear(torch::nn::LinearOptions(16, 10)));
  }
  Tensor forward(Tensor x) {
    for (const std::string b : {"1", "2"}) x = call("pool" + b, call("relu" + b, call("bn" + b, call("conv" + b, x))));
    x = call("dropout", x.flatten(1));
    return call("fc2", call("dropout", call("relu3", call("fc1", x))));
  }
  std::vector<std::string> weighted() const { return {"conv1", "conv2", "fc1", "fc2"}; }
  std::vector<std::string> activations() const { return {"relu1", "relu2", "relu3"}; }
};

// A residual block: relu(bn_b(conv_b(q(relu(bn_a(conv_a(x)))))) + x), nested.
struct Residual : nn::Block {
  explicit Residual(int64_t channels) {
    add("conv_a", nn::QuantConv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1).bias(false)));
    add("bn_a", torch::nn::BatchNorm2d(channels));
    add("relu_a", torch::nn::ReLU());
    add("conv_b", nn::QuantConv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1).bias(false)));
    add("bn_b", torch::nn::BatchNorm2d(channels));
  }
  Tensor forward(Tensor x) {
    Tensor out = call("bn_b", call("conv_b", call("relu_a", call("bn_a", call("conv_a", x)))));
    return out + x;
  }
};

struct ResNetLike : nn::Block {
  ResNetLike() {
    add("stem", nn::QuantConv2d(torch::nn::Conv2dOptions(1, 6, 3).padding(1).stride(2).bias(false)));
    add("bn", torch::nn::BatchNorm2d(6));
    add("relu", torch::nn::ReLU());
    add("block", std::make_shared<Residual>(6));
    add("relu_out", torch::nn::ReLU());
    add("avgpool", torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
    add("flatten", torch::nn::Flatten());
    add("fc", nn::QuantLinear(torch::nn::LinearOptions(6, 10)));
  }
  Tensor forward(Tensor x) {
    x = call("relu", call("bn", call("stem", x)));
    x = call("relu_out", call("block", x));
    return call("fc", call("flatten", call("avgpool", x)));
  }
};

std::shared_ptr<nn::QuantizedLayer> twin(nn::Block& net, const std::string& dotted) {
  auto layer = graph::find_layer(net, dotted);
  return std::dynamic_pointer_cast<nn::QuantizedLayer>(layer.module);
}

int64_t out_channels(nn::QuantizedLayer& layer) {
  for (const auto& p : layer.named_parameters()) if (p.key().find("weight") != std::string::npos) return p.value().size(0);
  return 0;
}

void quantize_weights(nn::Block& net, const std::vector<std::string>& names, const WeightQuantizerFactory& make) {
  for (const auto& name : names) {
    auto layer = twin(net, name);
    layer->set_weight_quantizer(make(out_channels(*layer)));
  }
}

void quantize_activations(nn::Block& owner, const std::vector<std::string>& relus, const ActivationQuantizerFactory& make,
                          bool substitutes) {
  for (const auto& name : relus) owner.set_output_quantizer(name, make(), substitutes);
}

// A few SGD steps on random data: batch-norm statistics and learned
// quantizer parameters move away from their initial values.
void train_steps(nn::Block& net, const std::function<Tensor(const Tensor&)>& forward, std::vector<int64_t> shape,
                 int steps = 8) {
  torch::manual_seed(3);
  torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.02).momentum(0.9));
  net.train();
  for (int i = 0; i < steps; ++i) {
    shape[0] = 32;
    const Tensor x = torch::randn(shape);
    const Tensor target = torch::randint(0, 10, {32});
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(forward(x), target).backward();
    optimizer.step();
  }
  net.eval();
}

struct Capture : nn::LayerObserver {
  std::unordered_map<const torch::nn::Module*, std::string> names;
  std::map<std::string, Tensor> outputs;
  void observe(const torch::nn::Module& layer, const Tensor&, const Tensor& output) override {
    outputs[names.at(&layer)] = output.detach().clone();
  }
};

struct Agreement {
  int64_t samples = 0;
  // Samples none of whose requantized values differs from the reference's,
  // and how many of them have another argmax than the reference.
  int64_t exact_samples = 0;
  int64_t argmax_differences_where_exact = 0;
  // The logits with the reference's integers fed forward at every Requant.
  double worst_logit_error_in_steps = 0;  // |integer - fake| / the output accumulator's step
  int64_t requant_elements = 0;
  int64_t requant_differing = 0;
  int64_t requant_unexplained = 0;  // see quantlab::test::RequantComparison
};

// The fake-quantized network fed the input the integer network sees. Each
// Requant is judged on the reference's own integers before it (a value the
// reference's float32 sums put across a rounding boundary would otherwise
// move every value after it).
Agreement compare(nn::Block& net, const std::function<Tensor(const Tensor&)>& forward, const IntegerNetwork& integer,
                  const Tensor& x) {
  torch::NoGradGuard no_grad;
  net.eval();
  Capture capture;
  capture.names = graph::names_by_module(net);
  Tensor reference;
  {
    nn::ObserveLayers observing(capture);
    reference = forward(integer.quantize_input(x));
  }
  const std::vector<Tensor> values = integer.run(x);
  // The exact float kernels and the int32 ones give the same integers.
  const std::vector<Tensor> integer_kernels = integer.run(x, deploy::ProductKernels::integer);
  for (size_t i = 0; i + 1 < values.size(); ++i) CHECK(torch::equal(values[i], integer_kernels[i]));
  // So does the fast path on int8 kernels, at every node.
  const deploy::FastIntegerNetwork fast(integer);
  UNSCOPED_INFO("fast path: " << fast.describe());
  const std::vector<Tensor> fast_values = fast.run(x);
  REQUIRE(fast_values.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) CHECK(torch::equal(values[i], fast_values[i]));
  CHECK(torch::equal(fast.forward(x), values.back()));

  Agreement agreement;
  agreement.samples = x.size(0);
  quantlab::test::RequantJudge judge(integer, x.size(0));
  const std::vector<Tensor> replaced = integer.run(x, deploy::ProductKernels::fastest_exact, [&](size_t i, const Tensor& out) {
    const auto& node = integer.nodes[i];
    const auto found = capture.outputs.find(node.name);
    if (node.op != OpKind::Requant || found == capture.outputs.end()) return judge.pass(out);
    return judge.judge(i, out, found->second);
  });
  agreement.requant_elements = judge.total().elements;
  agreement.requant_differing = judge.total().differing;
  agreement.requant_unexplained = judge.total().unexplained;
  const auto& last = integer.nodes.back();
  const Tensor step = last.dequant_scales[0].to(torch::kFloat).reshape({1, -1});
  agreement.worst_logit_error_in_steps = (replaced.back() - reference).abs().div(step).max().item<double>();
  const Tensor exact = judge.total().sample_differs.logical_not();
  agreement.exact_samples = exact.sum().item<int64_t>();
  agreement.argmax_differences_where_exact =
      values.back().argmax(1).ne(reference.argmax(1)).logical_and(exact).sum().item<int64_t>();
  return agreement;
}

deploy::InputQuantization input_8bit() {
  deploy::InputQuantization input;
  input.step = 1.0 / 32;
  input.lo = -128;
  input.hi = 127;
  return input;
}

Agreement integerize_and_compare(nn::Block& net, const std::function<Tensor(const Tensor&)>& forward,
                                 std::vector<int64_t> shape, IntegerNetwork* keep = nullptr) {
  torch::manual_seed(11);
  shape[0] = 256;
  const Tensor x = torch::randn(shape) * 1.5;
  const IntegerNetwork integer = deploy::integerize(net, forward, x.slice(0, 0, 2), input_8bit());
  if (keep) *keep = integer;
  const Agreement agreement = compare(net, forward, integer, x);
  UNSCOPED_INFO("argmax differences " << agreement.argmax_differences_where_exact << " / " << agreement.exact_samples
                                      << " exact samples of " << agreement.samples << ", worst logit error "
                                      << agreement.worst_logit_error_in_steps << " steps, requantized elements differing "
                                      << agreement.requant_differing << " / " << agreement.requant_elements << ", "
                                      << agreement.requant_unexplained << " not by float32 rounding");
  return agreement;
}

void require_agreement(const Agreement& a) {
  CHECK(a.requant_elements > 0);
  // A requantized value may differ only where float32 rounding of the
  // fake-quantized network's sums can have put it across a boundary.
  CHECK(a.requant_unexplained == 0);
  // With the reference's integers fed forward, the logits agree within one
  // step of the output accumulator.
  CHECK(a.worst_logit_error_in_steps <= 1.0);
  // A sample whose every requantized value is the reference's gets the
  // reference's sums done exactly, so its argmax.
  CHECK(a.exact_samples > 0);
  CHECK(a.argmax_differences_where_exact == 0);
}

std::shared_ptr<nn::Quantizer> pact8() {
  return std::make_shared<nn::PactQuantizer>(8, ops::Signedness::Unsigned, 4.0);
}

}  // namespace

TEST_CASE("integerize reproduces a PACT W8A8 per-channel CNN", "[deploy]") {
  SmallCnn net;
  quantize_weights(net, net.weighted(), [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  quantize_activations(net, net.activations(), pact8, /*substitutes=*/true);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  IntegerNetwork integer;
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}, &integer));

  SECTION("the executor holds integer tensors") {
    const auto values = integer.run(torch::randn({4, 1, 8, 8}));
    for (size_t i = 0; i + 1 < integer.nodes.size(); ++i) CHECK(values[i].scalar_type() == torch::kInt);
    CHECK(values.back().scalar_type() == torch::kFloat);
    int64_t weighted = 0;
    for (const auto& node : integer.nodes)
      if (node.weight.defined()) {
        ++weighted;
        CHECK(node.weight.scalar_type() == torch::kChar);
        CHECK(node.weight_scale.numel() == node.weight.size(0));
      }
    CHECK(weighted == 4);
  }
  SECTION("batch-norm is folded into the requantization") {
    for (const auto& node : integer.nodes) CHECK(node.name.rfind("bn", 0) != 0);
    CHECK(integer.nodes.back().op == OpKind::Dequant);
  }
}

TEST_CASE("integerize reproduces PACT W4A4 per-tensor weights without substitution", "[deploy]") {
  SmallCnn net;
  quantize_weights(net, net.weighted(), [](int64_t) { return std::make_shared<nn::UniformWeightQuantizer>(4); });
  quantize_activations(net, net.activations(),
                       [] { return std::make_shared<nn::PactQuantizer>(4, ops::Signedness::Unsigned, 3.0); }, false);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}));
}

TEST_CASE("integerize reproduces LSQ W4A4 (unsigned and signed activations)", "[deploy]") {
  const bool is_signed = GENERATE(false, true);
  SmallCnn net;
  quantize_weights(net, net.weighted(),
                   [](int64_t c) { return std::make_shared<nn::LsqQuantizer>(4, ops::Signedness::Signed, c); });
  quantize_activations(net, net.activations(), [&] {
    return std::make_shared<nn::LsqQuantizer>(4, is_signed ? ops::Signedness::Signed : ops::Signedness::Unsigned);
  }, false);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}));
}

TEST_CASE("integerize refuses learned bit-widths until they are frozen, then reproduces the network", "[deploy]") {
  SmallCnn net;
  std::vector<std::shared_ptr<nn::LearnedBitsQuantizer>> learned;
  quantize_weights(net, net.weighted(), [&](int64_t c) {
    learned.push_back(std::make_shared<nn::LearnedBitsQuantizer>(2, 8, 5.4, ops::Signedness::Signed, c));
    return learned.back();
  });
  quantize_activations(net, net.activations(), [&] {
    learned.push_back(std::make_shared<nn::LearnedBitsQuantizer>(2, 8, 3.6, ops::Signedness::Unsigned));
    return learned.back();
  }, false);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  CHECK_THROWS_WITH(deploy::integerize(net, forward, torch::randn({2, 1, 8, 8}), input_8bit()),
                    Catch::Contains("conv1") && Catch::Contains("still learned"));
  for (const auto& quantizer : learned) {
    const double before = quantizer->fractional_bits().item<double>();
    quantizer->freeze();
    CHECK(quantizer->bits() == std::llround(before));
  }
  train_steps(net, forward, {0, 1, 8, 8}, 2);
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}));
}

TEST_CASE("integerize reproduces TQT W4A4", "[deploy]") {
  SmallCnn net;
  quantize_weights(net, net.weighted(),
                   [](int64_t) { return std::make_shared<nn::TqtQuantizer>(4, ops::Signedness::Signed); });
  quantize_activations(net, net.activations(),
                       [] { return std::make_shared<nn::TqtQuantizer>(4, ops::Signedness::Unsigned); }, false);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}));
}

TEST_CASE("integerize reproduces STE activations and INQ power-of-two weights", "[deploy]") {
  SmallCnn net;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  std::vector<std::shared_ptr<nn::SteQuantizer>> stes;
  quantize_activations(net, net.activations(), [&] {
    stes.push_back(std::make_shared<nn::SteQuantizer>(255));
    return stes.back();
  }, false);
  train_steps(net, forward, {0, 1, 8, 8}, 4);
  for (auto& ste : stes) ste->set_monitoring(true);
  {
    torch::NoGradGuard no_grad;
    forward(torch::randn({64, 1, 8, 8}) * 1.5);
  }
  for (auto& ste : stes) {
    ste->set_monitoring(false);
    ste->set_enabled(true);
  }
  for (const auto& name : net.weighted()) {
    auto layer = twin(net, name);
    auto inq = std::make_shared<nn::InqQuantizer>(nn::InqLevelSet::power_of_two(4), out_channels(*layer));
    layer->set_weight_quantizer(inq);
    inq->attach(layer->original()->named_parameters()["weight"]);
    inq->freeze_fraction(1.0, nn::InqStrategy::Magnitude, generator);
  }
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}));
}

TEST_CASE("integerize reproduces ternary and binary weights", "[deploy]") {
  const bool binary = GENERATE(false, true);
  SmallCnn net;
  quantize_weights(net, net.weighted(), [&](int64_t c) -> std::shared_ptr<nn::Quantizer> {
    if (binary) return std::make_shared<nn::BinaryQuantizer>(nn::BinaryQuantizer::Kind::Weights, c);
    return std::make_shared<nn::TernaryQuantizer>(nn::TernaryQuantizer::Kind::Weights, c);
  });
  quantize_activations(net, net.activations(), pact8, true);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}));
}

TEST_CASE("integerize turns ternary and binary activations into thresholds", "[deploy]") {
  const bool binary = GENERATE(false, true);
  SmallCnn net;
  quantize_weights(net, net.weighted(), [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  quantize_activations(net, {"relu1", "relu2"}, [&]() -> std::shared_ptr<nn::Quantizer> {
    if (binary) return std::make_shared<nn::BinaryQuantizer>(nn::BinaryQuantizer::Kind::Activations);
    return std::make_shared<nn::TernaryQuantizer>(nn::TernaryQuantizer::Kind::Activations);
  }, true);
  quantize_activations(net, {"relu3"}, pact8, true);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  IntegerNetwork integer;
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}, &integer));
  int64_t threshold_nodes = 0;
  for (const auto& node : integer.nodes) threshold_nodes += node.thresholds.defined() ? 1 : 0;
  CHECK(threshold_nodes == 2);
}

TEST_CASE("integerize turns RSign's learned per-channel thresholds into per-channel thresholds", "[deploy]") {
  SmallCnn net;
  quantize_weights(net, {"conv1", "fc1", "fc2"}, [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  quantize_weights(net, {"conv2"}, [](int64_t c) {
    return std::make_shared<nn::BinaryQuantizer>(nn::BinaryQuantizer::Kind::Weights, c);
  });
  // In place of relu1 / relu2: sign(bn(x) - b_c), so conv2 and fc1 read +-1.
  net.set_output_quantizer("relu1", std::make_shared<nn::RSignQuantizer>(6), true);
  net.set_output_quantizer("relu2", std::make_shared<nn::RSignQuantizer>(8), true);
  quantize_activations(net, {"relu3"}, pact8, true);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  {
    // Thresholds well away from 0 and from each other, as trained ones are.
    torch::NoGradGuard no_grad;
    for (auto& p : net.named_parameters())
      if (p.key().find("threshold") != std::string::npos) p.value().copy_(torch::randn(p.value().sizes()) * 0.5);
  }
  IntegerNetwork integer;
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}, &integer));
  std::vector<int64_t> rows;
  for (const auto& node : integer.nodes)
    if (node.thresholds.defined()) rows.push_back(node.thresholds.size(0));
  CHECK(rows == std::vector<int64_t>{6, 8});
}

namespace {

// A quantizer integerize has never heard of: unsigned 3-bit, a fixed step of
// 1/4, rounding down. It tells integerize about itself only through its grid;
// `lie` makes the grid claim rounding to nearest.
class QuarterStepFloor : public nn::Quantizer {
 public:
  explicit QuarterStepFloor(bool lie = false) : Quantizer("QuarterStepFloor", true), lie_(lie) {}
  int64_t bits() const override { return 3; }
  nn::IntegerGrid integer_grid() const override {
    return nn::IntegerGrid::uniform(nn::grid_step(0.25), 0, 7, lie_ ? ops::Rounding::Nearest : ops::Rounding::Floor);
  }

 protected:
  Tensor quantize(const Tensor& x) override {
    // A straight-through estimator, so training steps reach the layers before it.
    const Tensor q = x.div(0.25).floor().clamp(0, 7).mul(0.25);
    return x + (q - x).detach();
  }

 private:
  bool lie_;
};

class NoGrid : public nn::Quantizer {
 public:
  NoGrid() : Quantizer("NoGrid", true) {}
  int64_t bits() const override { return 4; }
  nn::IntegerGrid integer_grid() const override { return nn::IntegerGrid::none("it is a test's quantizer without one"); }

 protected:
  Tensor quantize(const Tensor& x) override { return x.round(); }
};

}  // namespace

TEST_CASE("integerize lowers an activation quantizer from its integer grid, with no list of quantizer types", "[deploy]") {
  SmallCnn net;
  quantize_weights(net, net.weighted(), [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  quantize_activations(net, net.activations(), [] { return std::make_shared<QuarterStepFloor>(); }, false);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  IntegerNetwork integer;
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}, &integer));
  int64_t floors = 0;
  for (const auto& node : integer.nodes)
    if (node.op == OpKind::Requant) {
      CHECK(node.hi == 7);
      floors += node.rounding == deploy::Rounding::Floor ? 1 : 0;
    }
  CHECK(floors == 3);
}

TEST_CASE("integerize refuses a quantizer whose grid is missing or is not what it computes", "[deploy]") {
  const bool lie = GENERATE(false, true);
  SmallCnn net;
  quantize_weights(net, net.weighted(), [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  quantize_activations(net, {"relu1", "relu3"}, pact8, true);
  quantize_activations(net, {"relu2"}, [&]() -> std::shared_ptr<nn::Quantizer> {
    if (lie) return std::make_shared<QuarterStepFloor>(true);
    return std::make_shared<NoGrid>();
  }, false);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8}, 1);
  CHECK_THROWS_WITH(deploy::integerize(net, forward, torch::randn({2, 1, 8, 8}), input_8bit()),
                    Catch::Contains("relu2") &&
                        Catch::Contains(lie ? "does not compute the uniform quantization" : "without one"));
}

TEST_CASE("integerize reproduces a residual block with average pooling", "[deploy]") {
  ResNetLike net;
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  quantize_weights(net, {"stem", "block.conv_a", "block.conv_b", "fc"},
                   [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  net.set_output_quantizer("relu", pact8(), true);
  net.set_output_quantizer("relu_out", pact8(), true);
  auto block = std::dynamic_pointer_cast<Residual>(net.layer("block"));
  block->set_output_quantizer("relu_a", pact8(), true);
  train_steps(net, forward, {0, 1, 8, 8});
  IntegerNetwork integer;
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}, &integer));
  bool two_input_requant = false, sum_pool = false;
  for (const auto& node : integer.nodes) {
    two_input_requant |= node.op == OpKind::Requant && node.inputs.size() == 2;
    sum_pool |= node.op == OpKind::SumPool2d;
  }
  CHECK(two_input_requant);
  CHECK(sum_pool);
}

TEST_CASE("integerize reproduces an MLP", "[deploy]") {
  struct Mlp : nn::Block {
    Mlp() {
      add("fc1", nn::QuantLinear(torch::nn::LinearOptions(64, 32)));
      add("bn1", torch::nn::BatchNorm1d(32));
      add("relu1", torch::nn::ReLU());
      add("fc2", nn::QuantLinear(torch::nn::LinearOptions(32, 10)));
    }
    Tensor forward(const Tensor& x) { return call("fc2", call("relu1", call("bn1", call("fc1", x.view({x.size(0), -1}))))); }
  } net;
  quantize_weights(net, {"fc1", "fc2"}, [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  net.set_output_quantizer("relu1", pact8(), true);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8});
  require_agreement(integerize_and_compare(net, forward, {0, 1, 8, 8}));
}

TEST_CASE("integerize refuses an unsupported op with one line naming the layer and the op", "[deploy]") {
  SmallCnn net;
  quantize_weights(net, net.weighted(), [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  quantize_activations(net, net.activations(), pact8, true);
  const auto forward = [&](const Tensor& x) {
    Tensor h = x;
    for (const std::string b : {"1", "2"}) h = net.call("pool" + b, net.call("relu" + b, net.call("bn" + b, net.call("conv" + b, h))));
    h = torch::sigmoid(h.flatten(1));
    return net.call("fc2", net.call("relu3", net.call("fc1", h)));
  };
  train_steps(net, forward, {0, 1, 8, 8}, 1);
  net.train();  // integerize traces in eval mode and gives the mode back
  try {
    deploy::integerize(net, forward, torch::randn({2, 1, 8, 8}), input_8bit());
    FAIL("integerize accepted aten::sigmoid");
  } catch (const deploy::IntegerizeError& error) {
    const std::string message = error.what();
    CHECK(message.find("layer 'fc1'") != std::string::npos);
    CHECK(message.find("aten::sigmoid") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(net.is_training());
}

TEST_CASE("integerize refuses a conv whose weights are not quantized", "[deploy]") {
  SmallCnn net;
  quantize_weights(net, {"conv1", "fc1", "fc2"}, [](int64_t c) { return std::make_shared<nn::UniformWeightQuantizer>(8, c); });
  quantize_activations(net, net.activations(), pact8, true);
  const auto forward = [&](const Tensor& x) { return net.forward(x); };
  train_steps(net, forward, {0, 1, 8, 8}, 1);
  CHECK_THROWS_WITH(deploy::integerize(net, forward, torch::randn({2, 1, 8, 8}), input_8bit()),
                    Catch::Contains("layer 'conv2'") && Catch::Contains("float weights"));
}

TEST_CASE("infer_input_quantization finds the step and zero point of normalized 8-bit data", "[deploy]") {
  const double mean = 0.2860, std = 0.3530;
  const Tensor pixels = torch::arange(0, 256, torch::kFloat).repeat({3});
  const Tensor x = pixels.div(255.0).sub(mean).div(std);
  const auto input = deploy::infer_input_quantization(x);
  CHECK(input.step == Approx(1.0 / (255.0 * std)).epsilon(1e-5));
  CHECK(input.lo == -73);
  CHECK(input.hi == 182);
  // A sample without the brightest pixels still finds the pixel grid.
  const auto partial = deploy::infer_input_quantization(x.slice(0, 0, 200));
  CHECK(partial.step == Approx(input.step).epsilon(1e-5));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

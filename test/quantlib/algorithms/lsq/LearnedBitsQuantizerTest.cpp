// The fractional bit-width quantizer (FracBits with LSQ) against a composed
// reference, its bits and freezing, its controller, its recipe keys and the
// differentiable cost of its bits.
#include "quantlib/algorithms/lsq/LearnedBitsQuantizer.h"

#include <cmath>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/algorithms/lsq/LearnedBitsController.h"
#include "quantlib/algorithms/lsq/LearnedBitsCost.h"
#include "quantlib/graph/NetworkSummary.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/ops/Lsq.h"
#include "quantlib/recipes/RuleRecipe.h"
#include "support/ErrorMessage.h"
#include "support/SmallNetwork.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;
using ops::Signedness;
using nn::LearnedBitsQuantizer;

namespace {

double positive_levels(int64_t bits, Signedness signedness) {
  return signedness == Signedness::Signed ? std::pow(2.0, bits - 1) - 1 : std::pow(2.0, bits) - 1;
}

// LSQ's forward written out: round(clamp(x / s, -Qn, Qp)) * s, s broadcast along dim 0.
torch::Tensor lsq_reference(const torch::Tensor& x, const torch::Tensor& step, int64_t bits, Signedness signedness) {
  const double qp = positive_levels(bits, signedness);
  const double qn = signedness == Signedness::Signed ? qp + 1 : 0;
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = step.numel() == 1 ? 1 : x.size(0);
  const torch::Tensor s = step.reshape(shape);
  return torch::round(torch::clamp(x / s, -qn, qp)) * s;
}

// The step LearnedBitsQuantizer uses at k bits: s Qp(max) / Qp(k).
torch::Tensor step_at(const LearnedBitsQuantizer& quantizer, int64_t k) {
  const auto step = quantizer.named_parameters()["step"].detach();
  return step * (positive_levels(quantizer.max_bits(), quantizer.signedness()) /
                 positive_levels(k, quantizer.signedness()));
}

void set_bits(LearnedBitsQuantizer& quantizer, double bits) {
  torch::NoGradGuard no_grad;
  quantizer.named_parameters()["bits"].fill_(bits);
}

using quantlab::test::small_network;

quantlab::Params params_of(const std::string& yaml) { return quantlab::test::recipe_params(yaml); }

std::string recipe_error(const std::string& spec) {
  return quantlab::test::error_message_of<quantlab::ConfigError>([&] {
    auto net = small_network();
    recipes::apply_rules(*net, params_of("rules: [{select: {name: fc1}, weight: " + spec + "}]"));
  });
}

std::shared_ptr<LearnedBitsQuantizer> weight_quantizer(nn::Sequential& net, const std::string& name) {
  const auto twin = std::dynamic_pointer_cast<nn::QuantizedLayer>(net->layer(name));
  return std::dynamic_pointer_cast<LearnedBitsQuantizer>(twin->weight_quantizer());
}

}  // namespace

TEST_CASE("learned bits: the output mixes LSQ at the two bit-widths around b, and b's gradient is their difference",
          "[quantnn][learnedbits]") {
  const Signedness signedness = GENERATE(Signedness::Signed, Signedness::Unsigned);
  const bool per_channel = GENERATE(false, true);
  const double b = GENERATE(2.0, 3.3, 5.75, 8.0);
  INFO("b " << b << (per_channel ? " per channel" : " per tensor"));
  torch::manual_seed(11);
  LearnedBitsQuantizer quantizer(2, 8, b, signedness, per_channel ? 4 : 0);
  const torch::Tensor x = (signedness == Signedness::Signed ? torch::randn({4, 3, 5}) : torch::rand({4, 3, 5}) * 3)
                              .requires_grad_(true);
  const torch::Tensor grad_y = torch::randn({4, 3, 5});
  const torch::Tensor y = quantizer.forward(x);
  y.backward(grad_y);

  const int64_t lo = std::min<int64_t>(static_cast<int64_t>(std::floor(b)), 7);
  const double f = b - static_cast<double>(lo);
  const torch::Tensor q_lo = lsq_reference(x.detach(), step_at(quantizer, lo), lo, signedness);
  const torch::Tensor q_hi = lsq_reference(x.detach(), step_at(quantizer, lo + 1), lo + 1, signedness);
  CHECK(torch::allclose(y.detach(), (1 - f) * q_lo + f * q_hi, 1e-5, 1e-6));
  const auto bits = quantizer.named_parameters()["bits"];
  REQUIRE(bits.grad().defined());
  CHECK(bits.grad().item<double>() == Approx((grad_y * (q_hi - q_lo)).sum().item<double>()).epsilon(1e-4).margin(1e-5));

  // The x and step gradients are those of the two LSQ ops, weighted.
  const torch::Tensor x2 = x.detach().clone().requires_grad_(true);
  const torch::Tensor step = quantizer.named_parameters()["step"].detach().clone().requires_grad_(true);
  const double qp_max = positive_levels(8, signedness);
  const int64_t per_step = x.numel() / step.numel();
  const auto lsq_at = [&](int64_t k) {
    const double ratio = positive_levels(k, signedness) / qp_max;
    return ops::lsq(x2, step * (qp_max / positive_levels(k, signedness)), k, signedness,
                    ops::lsq_default_grad_scale(per_step, k, signedness) * ratio * ratio);
  };
  const torch::Tensor composed = (1 - f) * lsq_at(lo) + f * lsq_at(lo + 1);
  composed.backward(grad_y);
  CHECK(torch::allclose(x.grad(), x2.grad(), 1e-5, 1e-6));
  CHECK(torch::allclose(quantizer.named_parameters()["step"].grad(), step.grad(), 1e-4, 1e-7));
}

TEST_CASE("learned bits: the first batch sets LSQ's step at the nearest bits, bits() is ceil(b) until frozen, then "
          "the rounded b, and the frozen quantizer is LSQ at those bits",
          "[quantnn][learnedbits]") {
  torch::manual_seed(12);
  LearnedBitsQuantizer quantizer(2, 8, 4.4, Signedness::Signed);
  const torch::Tensor x = torch::randn({6, 7});
  quantizer.forward(x);
  REQUIRE(quantizer.initialised());
  CHECK(torch::allclose(step_at(quantizer, 4), (2 * x.abs().mean() / std::sqrt(7.0)).reshape({1})));
  CHECK(quantizer.bits() == 5);
  set_bits(quantizer, 4.0);
  CHECK(quantizer.bits() == 4);
  CHECK(torch::allclose(quantizer.forward(x), ops::lsq(x, step_at(quantizer, 4), 4, Signedness::Signed)));
  set_bits(quantizer, 9.5);  // an optimizer step past max: used as max, and clamped before the next batch
  CHECK(quantizer.bits() == 8);
  CHECK(quantizer.fractional_bits().item<double>() == 8.0);
  quantizer.clamp_bits();
  CHECK(quantizer.learned_bits().item<double>() == 8.0);
  CHECK(quantizer.integer_grid().form == nn::IntegerGrid::Form::None);

  set_bits(quantizer, 3.49);
  quantizer.freeze();
  CHECK(quantizer.frozen());
  CHECK(quantizer.bits() == 3);
  set_bits(quantizer, 7.0);  // b no longer matters
  CHECK(quantizer.bits() == 3);
  CHECK(torch::equal(quantizer.forward(x), ops::lsq(x, step_at(quantizer, 3), 3, Signedness::Signed)));
  CHECK(quantizer.integer_grid().form == nn::IntegerGrid::Form::Uniform);

  // The frozen bits are state: a fresh quantizer loaded from this one is frozen alike.
  LearnedBitsQuantizer loaded(2, 8, 6.0, Signedness::Signed);
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : quantizer.named_parameters()) loaded.named_parameters()[item.key()].copy_(item.value());
    for (const auto& item : quantizer.named_buffers()) loaded.named_buffers()[item.key()].copy_(item.value());
  }
  CHECK(loaded.bits() == 3);
  CHECK(torch::equal(loaded.forward(x), quantizer.forward(x)));
}

TEST_CASE("learned bits: the controller freezes at freeze_epoch, by default in the run's last quarter, and clamps b "
          "before each batch",
          "[quantnn][learnedbits]") {
  CHECK(LearnedBitsController::default_freeze_epoch(4) == 3);
  CHECK(LearnedBitsController::default_freeze_epoch(5) == 3);
  CHECK(LearnedBitsController::default_freeze_epoch(8) == 6);
  CHECK(LearnedBitsController::default_freeze_epoch(1) == 0);

  const auto quantizer = std::make_shared<LearnedBitsQuantizer>(2, 8, 5.6, Signedness::Unsigned);
  torch::optim::SGD optimizer(quantizer->parameters(), torch::optim::SGDOptions(0.1));
  LearnedBitsController by_default("learned", {quantizer}, 0, std::nullopt);
  by_default.step_pre_training(10, optimizer);
  CHECK_FALSE(quantizer->frozen());  // no run length told, no default
  by_default.set_training_epochs(4);
  CHECK(by_default.freeze_epoch() == 3);
  set_bits(*quantizer, 1.2);
  by_default.step_pre_batch(0, 0, 10);
  CHECK(quantizer->learned_bits().item<double>() == 2.0);
  set_bits(*quantizer, 5.6);
  by_default.step_pre_training(2, optimizer);
  CHECK_FALSE(quantizer->frozen());
  by_default.step_pre_training(3, optimizer);
  CHECK(quantizer->frozen());
  CHECK(quantizer->bits() == 6);

  const auto other = std::make_shared<LearnedBitsQuantizer>(2, 8, 5.6, Signedness::Unsigned);
  LearnedBitsController explicit_epoch("learned", {other}, 2, 1);
  explicit_epoch.set_training_epochs(4);
  CHECK(explicit_epoch.freeze_epoch() == 1);
  explicit_epoch.step_pre_training(1, optimizer);
  CHECK(other->frozen());
  CHECK_FALSE(other->enabled());  // start_epoch 2
}

TEST_CASE("learned bits in the rules recipe: bits: learned with learned_bits, and each bad key one error",
          "[recipes][learnedbits]") {
  auto net = small_network();
  const auto controllers = recipes::apply_rules(*net, params_of(R"(
rules:
  - select: {type: [Conv2d, Linear]}
    weight: {algorithm: lsq, bits: learned, learned_bits: {min: 3, max: 6, init: 4.5, freeze_epoch: 2}, per_channel: true}
  - select: {name: relu1}
    output: {algorithm: lsq, bits: learned}
)"));
  REQUIRE(controllers.size() == 2);
  const auto fc1 = weight_quantizer(net, "fc1");
  REQUIRE(fc1 != nullptr);
  CHECK(fc1->min_bits() == 3);
  CHECK(fc1->max_bits() == 6);
  CHECK(fc1->learned_bits().item<double>() == 4.5);
  CHECK(fc1->named_parameters()["step"].numel() == 8);
  const auto activation = std::dynamic_pointer_cast<LearnedBitsQuantizer>(net->output_quantizer("relu1"));
  REQUIRE(activation != nullptr);
  CHECK(activation->min_bits() == 1);  // unsigned
  CHECK(activation->bits() == 8);      // init defaults to max
  const auto controller = std::dynamic_pointer_cast<LearnedBitsController>(controllers[0]);
  REQUIRE(controller != nullptr);
  CHECK(controller->freeze_epoch() == 2);

  CHECK_THAT(recipe_error("{algorithm: lsq, bits: 4, learned_bits: {min: 2}}"),
             Catch::StartsWith("recipe.yaml: network.quantize.params.rules[0].weight.learned_bits: expected no "
                               "learned_bits unless bits: learned"));
  CHECK_THAT(recipe_error("{algorithm: lsq, bits: lerned}"),
             Catch::Contains("rules[0].weight.bits: expected an integer, or learned"));
  CHECK_THAT(recipe_error("{algorithm: lsq, bits: learned, learned_bits: {min: 4, max: 4}}"),
             Catch::Contains("rules[0].weight.learned_bits.max: expected more bits than min (4)"));
  CHECK_THAT(recipe_error("{algorithm: lsq, bits: learned, learned_bits: {min: 1}}"),
             Catch::Contains("rules[0].weight.learned_bits.min: expected an integer in [2, 24] for a signed"));
  CHECK_THAT(recipe_error("{algorithm: lsq, bits: learned, learned_bits: {min: 2, max: 6, init: 7}}"),
             Catch::Contains("rules[0].weight.learned_bits.init: expected a number of bits in [min, max] = [2, 6]"));
  CHECK_THAT(recipe_error("{algorithm: lsq, bits: learned, learned_bits: {freeze_epoch: -1}}"),
             Catch::Contains("rules[0].weight.learned_bits.freeze_epoch: expected an epoch >= 0"));
  CHECK_THAT(recipe_error("{algorithm: lsq, bits: learned, learned_bits: {mni: 2}}"),
             Catch::Contains("rules[0].weight.learned_bits.mni: unknown key"));
}

TEST_CASE("learned bits' cost: the summary's model size and BOPs at integer bits, with gradients to the bits",
          "[summary][learnedbits]") {
  auto net = small_network();
  recipes::apply_rules(*net, params_of(R"(
rules:
  - select: {type: [Conv2d, Linear], not: {name: fc2}}
    weight: {algorithm: lsq, bits: learned, learned_bits: {min: 2, max: 8, init: 5}}
  - select: {name: fc2}
    weight: {algorithm: lsq, bits: 8}
  - select: {name: relu1}
    output: {algorithm: lsq, bits: learned, learned_bits: {init: 4}}
  - select: {name: relu2}
    output: {algorithm: lsq, bits: 6}
)"));
  const torch::Tensor sample = torch::randn({1, 1, 5, 5});
  const auto summary = graph::NetworkSummary::of(*net, sample);
  const auto conv1 = weight_quantizer(net, "conv1");
  const auto fc1 = weight_quantizer(net, "fc1");
  const auto relu1 = std::dynamic_pointer_cast<LearnedBitsQuantizer>(net->output_quantizer("relu1"));

  const LearnedBitsCost memory(*net, summary, BitCostKind::WeightMemory);
  CHECK(memory.value().item<double>() == Approx(summary.size_bits / 8.0));
  const LearnedBitsCost bops(*net, summary, BitCostKind::Bops);
  CHECK(bops.value().item<double>() == Approx(static_cast<double>(summary.bops)));

  // Weight memory: numel / 8 bytes per bit of each learned weight quantizer.
  memory.value().backward();
  CHECK(fc1->learned_bits().grad().item<double>() == Approx(800.0 / 8));
  CHECK(conv1->learned_bits().grad().item<double>() == Approx(36.0 / 8));
  CHECK_FALSE(relu1->learned_bits().grad().defined());
  // BOPs: conv1 takes 32-bit input (25 x 4 outputs x 9 MACs), fc1 relu1's (800 MACs), fc2 6-bit (24 MACs at 8 bits).
  for (const auto& quantizer : {conv1, fc1, relu1}) quantizer->learned_bits().mutable_grad() = torch::Tensor();
  bops.value().backward();
  CHECK(conv1->learned_bits().grad().item<double>() == Approx(900.0 * 32));
  CHECK(fc1->learned_bits().grad().item<double>() == Approx(800.0 * 4));
  CHECK(relu1->learned_bits().grad().item<double>() == Approx(800.0 * 5));
  CHECK(bops.value().item<double>() == Approx(900.0 * 5 * 32 + 800.0 * 5 * 4 + 24.0 * 8 * 6));

  // Fractional bits move the cost continuously.
  set_bits(*fc1, 4.25);
  CHECK(memory.value().item<double>() == Approx(summary.size_bits / 8.0 - 0.75 * 800 / 8));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

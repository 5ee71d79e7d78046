#include "quantlib/algorithms/ana/AnaQuantizer.h"

#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Ana.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using ops::AnaForward;
using ops::AnaLevels;
using ops::AnaNoise;
using quantlib::nn::AnaQuantizer;

namespace {

at::Generator seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

}  // namespace

TEST_CASE("AnaQuantizer trains with the noisy op and evaluates the hard staircase", "[ana]") {
  torch::manual_seed(9);
  AnaQuantizer quantizer(AnaLevels::Uniform, 4, AnaNoise::Logistic, AnaForward::Expectation, 0.5);
  REQUIRE(quantizer.enabled());
  REQUIRE(quantizer.initialised());
  quantizer.set_s_fwd(0.2);
  quantizer.set_s_bwd(0.3);
  CHECK(quantizer.s_fwd() == Approx(0.2));
  CHECK(quantizer.s_bwd() == Approx(0.3));
  const auto staircase = ops::ana_staircase(AnaLevels::Uniform, 4, 0.5);
  const torch::Tensor x = torch::randn({6, 5}) * 0.5;

  quantizer.train();
  const torch::Tensor leaf = x.clone().requires_grad_();
  const torch::Tensor y = quantizer.forward(leaf);
  const torch::Tensor by_hand = ops::ana(x, staircase, AnaNoise::Logistic, AnaForward::Expectation,
                                         static_cast<float>(0.2), static_cast<float>(0.3));
  CHECK(torch::equal(y, by_hand));
  y.sum().backward();
  CHECK(leaf.grad().abs().sum().item<float>() > 0.0f);

  quantizer.eval();
  const torch::Tensor hard = ops::ana(x, staircase, AnaNoise::Logistic, AnaForward::Mode, 0.0, 0.0);
  CHECK(torch::equal(quantizer.forward(x), hard));
  CHECK_FALSE(torch::equal(hard, by_hand));
}

TEST_CASE("AnaQuantizer without a scale takes max |w| of the first tensor, then keeps it", "[ana]") {
  torch::manual_seed(10);
  AnaQuantizer quantizer(AnaLevels::Ternary, 3, AnaNoise::Uniform, AnaForward::Mode, std::nullopt);
  CHECK_FALSE(quantizer.initialised());
  const torch::Tensor weight = torch::randn({4, 3, 3, 3});
  const float abs_max = weight.abs().max().item<float>();
  const torch::Tensor y = quantizer.forward(weight);
  REQUIRE(quantizer.initialised());
  CHECK(static_cast<float>(quantizer.scale()) == abs_max);
  // Ternary times max |w|: levels {-m, 0, m}, thresholds at +-m/2.
  const torch::Tensor expected =
      torch::where(weight >= 0.5f * abs_max, torch::full_like(weight, abs_max),
                   torch::where(weight >= -0.5f * abs_max, torch::zeros_like(weight), torch::full_like(weight, -abs_max)));
  CHECK(torch::equal(y, expected));
  quantizer.forward(weight * 10);
  CHECK(static_cast<float>(quantizer.scale()) == abs_max);
}

TEST_CASE("AnaQuantizer stores ceil(log2(levels)) bits and reports its noise", "[ana]") {
  CHECK(AnaQuantizer(AnaLevels::Binary, 2, AnaNoise::Uniform, AnaForward::Expectation).bits() == 1);
  CHECK(AnaQuantizer(AnaLevels::Ternary, 3, AnaNoise::Uniform, AnaForward::Expectation).bits() == 2);
  CHECK(AnaQuantizer(AnaLevels::Uniform, 5, AnaNoise::Uniform, AnaForward::Expectation).bits() == 3);
  CHECK(AnaQuantizer(AnaLevels::Uniform, 256, AnaNoise::Uniform, AnaForward::Expectation).bits() == 8);
  CHECK(AnaQuantizer(AnaLevels::Uniform, 257, AnaNoise::Uniform, AnaForward::Expectation).bits() == 9);

  AnaQuantizer quantizer(AnaLevels::Binary, 2, AnaNoise::Normal, AnaForward::Random);
  quantizer.set_s_fwd(0.25);
  quantizer.set_s_bwd(0.5);
  const auto statistics = quantizer.statistics();
  REQUIRE(statistics.size() == 2);
  CHECK(statistics[0].first == "s_fwd");
  CHECK(statistics[0].second.item<float>() == 0.25f);
  CHECK(statistics[1].first == "s_bwd");
  CHECK(statistics[1].second.item<float>() == 0.5f);
}

TEST_CASE("AnaQuantizer random mode draws from the generator it was given", "[ana]") {
  AnaQuantizer quantizer(AnaLevels::Binary, 2, AnaNoise::Triangular, AnaForward::Random);
  quantizer.set_s_fwd(1.0);
  quantizer.set_s_bwd(1.0);
  const torch::Tensor x = torch::linspace(-1.0, 1.0, 200);
  quantizer.set_generator(seeded(3));
  const torch::Tensor first = quantizer.forward(x);
  quantizer.set_generator(seeded(3));
  CHECK(torch::equal(quantizer.forward(x), first));
  CHECK_FALSE(torch::equal(quantizer.forward(x), first));
}

TEST_CASE("AnaQuantizer's scale and noise travel in its state dict", "[ana]") {
  torch::manual_seed(12);
  const auto make = [] {
    return std::make_shared<AnaQuantizer>(AnaLevels::Uniform, 7, AnaNoise::Normal, AnaForward::Expectation,
                                          std::nullopt);
  };
  const auto saved = make();
  const torch::Tensor weight = torch::randn({5, 4}) * 3;
  saved->forward(weight);
  saved->set_s_fwd(0.125);
  saved->set_s_bwd(0.375);
  const auto buffers = saved->named_buffers();
  for (const char* name : {"scale", "initialised", "s_fwd", "s_bwd"}) CHECK(buffers.contains(name));

  const auto loaded = make();
  quantlab::test::copy_state(*saved, *loaded);

  CHECK(loaded->initialised());
  CHECK(loaded->scale() == saved->scale());
  CHECK(loaded->s_fwd() == saved->s_fwd());
  CHECK(loaded->s_bwd() == saved->s_bwd());
  // The loaded scale wins over the new tensor's max |x|.
  const torch::Tensor other = torch::randn({5, 4});
  CHECK(torch::equal(loaded->forward(other), saved->forward(other)));
}

TEST_CASE("AnaQuantizer: disabled is the identity and bad arguments are refused", "[ana]") {
  AnaQuantizer quantizer(AnaLevels::Ternary, 3, AnaNoise::Uniform, AnaForward::Expectation);
  quantizer.set_enabled(false);
  const torch::Tensor x = torch::randn({10});
  CHECK(torch::equal(quantizer.forward(x), x));
  CHECK_THROWS_AS(quantizer.set_s_fwd(-1.0), c10::Error);
  CHECK_THROWS_AS(quantizer.set_s_bwd(std::nan("")), c10::Error);
  CHECK_THROWS_AS(AnaQuantizer(AnaLevels::Binary, 3, AnaNoise::Uniform, AnaForward::Mode), c10::Error);
  CHECK_THROWS_AS(AnaQuantizer(AnaLevels::Uniform, 4, AnaNoise::Uniform, AnaForward::Mode, 0.0), c10::Error);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

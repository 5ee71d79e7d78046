#include "quantlib/algorithms/pact/PactQuantizer.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Pact.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::PactQuantizer;

TEST_CASE("PactQuantizer quantizes as the pact op with its alpha, and trains alpha", "[quantnn]") {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({4, 6});
  for (const auto signedness : {ops::Signedness::Unsigned, ops::Signedness::Signed}) {
    PactQuantizer quantizer(3, signedness, 0.6, ops::Rounding::Floor);
    REQUIRE(quantizer.enabled());
    const torch::Tensor alpha_by_hand = torch::full({1}, 0.6f).requires_grad_(true);
    const torch::Tensor expected = ops::pact(x, alpha_by_hand, 3, signedness, ops::Rounding::Floor);
    const torch::Tensor y = quantizer.forward(x);
    CHECK(torch::equal(y, expected));
    CHECK_FALSE(torch::equal(y, x));

    const torch::Tensor grad_y = torch::randn({4, 6});
    (y * grad_y).sum().backward();
    (expected * grad_y).sum().backward();
    REQUIRE(quantizer.alpha().grad().defined());
    CHECK(torch::equal(quantizer.alpha().grad(), alpha_by_hand.grad()));
    CHECK(quantizer.alpha().grad().abs().item<float>() > 0.0f);
  }
}

TEST_CASE("PactQuantizer: disabled is the identity, its alpha is a named parameter", "[quantnn]") {
  PactQuantizer quantizer(4, ops::Signedness::Signed, 1.0);
  const auto parameters = quantizer.named_parameters();
  REQUIRE(parameters.size() == 1);
  CHECK(parameters.contains("alpha"));
  quantizer.set_enabled(false);
  const torch::Tensor x = torch::randn({10}) * 3;
  CHECK(torch::equal(quantizer.forward(x), x));
}

TEST_CASE("PactQuantizer refuses a bad alpha or bit width when built", "[quantnn]") {
  CHECK_THROWS_AS(PactQuantizer(4, ops::Signedness::Unsigned, 0.0), c10::Error);
  CHECK_THROWS_AS(PactQuantizer(4, ops::Signedness::Unsigned, -1.0), c10::Error);
  CHECK_THROWS_AS(PactQuantizer(1, ops::Signedness::Signed, 1.0), c10::Error);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

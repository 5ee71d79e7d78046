#include "quantlib/algorithms/lsq/LsqQuantizer.h"

#include <cmath>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Lsq.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::LsqQuantizer;

TEST_CASE("LsqQuantizer sets its step from the first batch as the paper does, then keeps it", "[quantnn]") {
  torch::manual_seed(5);
  LsqQuantizer quantizer(4, ops::Signedness::Signed);
  CHECK_FALSE(quantizer.initialised());
  const torch::Tensor first = torch::randn({8, 5});
  const torch::Tensor y = quantizer.forward(first);
  REQUIRE(quantizer.initialised());
  const double positive_levels = 7.0;  // 2^(4-1) - 1
  const torch::Tensor paper_step = 2.0 * first.abs().mean() / std::sqrt(positive_levels);
  CHECK(torch::allclose(quantizer.step(), paper_step.reshape({1})));
  CHECK(torch::equal(y, ops::lsq(first, quantizer.step().detach(), 4, ops::Signedness::Signed)));

  const torch::Tensor step_after_first = quantizer.step().detach().clone();
  const torch::Tensor second = torch::randn({8, 5}) * 10;
  const torch::Tensor y2 = quantizer.forward(second);
  CHECK(torch::equal(quantizer.step(), step_after_first));
  CHECK(torch::equal(y2, ops::lsq(second, step_after_first, 4, ops::Signedness::Signed)));

  y2.sum().backward();
  REQUIRE(quantizer.step().grad().defined());
  CHECK(quantizer.step().grad().abs().item<float>() > 0.0f);
}

TEST_CASE("LsqQuantizer per channel: one step per slice along dim 0", "[quantnn]") {
  torch::manual_seed(6);
  LsqQuantizer quantizer(3, ops::Signedness::Unsigned, 4);
  REQUIRE(quantizer.step().sizes() == torch::IntArrayRef({4}));
  const torch::Tensor weight = torch::rand({4, 2, 3, 3}) * torch::tensor({1.0f, 2.0f, 4.0f, 8.0f}).view({4, 1, 1, 1});
  const torch::Tensor y = quantizer.forward(weight);
  const double positive_levels = 7.0;  // 2^3 - 1
  for (int64_t c = 0; c < 4; ++c) {
    const torch::Tensor paper_step = 2.0 * weight[c].abs().mean() / std::sqrt(positive_levels);
    CHECK(torch::allclose(quantizer.step()[c], paper_step));
  }
  CHECK(torch::equal(y, ops::lsq(weight, quantizer.step().detach(), 3, ops::Signedness::Unsigned)));
  CHECK_THROWS_AS(LsqQuantizer(3, ops::Signedness::Unsigned, 5).forward(weight), c10::Error);
}

TEST_CASE("LsqQuantizer disabled is the identity and does not initialise", "[quantnn]") {
  LsqQuantizer quantizer(4, ops::Signedness::Signed);
  quantizer.set_enabled(false);
  const torch::Tensor x = torch::randn({3, 3});
  CHECK(torch::equal(quantizer.forward(x), x));
  CHECK_FALSE(quantizer.initialised());
  CHECK(quantizer.named_buffers().contains("initialised"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

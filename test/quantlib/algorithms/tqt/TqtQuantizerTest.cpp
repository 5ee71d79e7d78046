#include "quantlib/algorithms/tqt/TqtQuantizer.h"

#include <cmath>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Tqt.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::TqtQuantizer;

TEST_CASE("TqtQuantizer sets log2_t from max |x| of the first batch, quantizes as the tqt op", "[quantnn]") {
  torch::manual_seed(7);
  TqtQuantizer quantizer(5, ops::Signedness::Signed);
  const torch::Tensor x = torch::randn({6, 7}) * 3;
  const torch::Tensor y = quantizer.forward(x);
  REQUIRE(quantizer.initialised());
  const double max_magnitude = x.abs().max().item<double>();
  CHECK(quantizer.log2_t().item<double>() == Approx(std::log2(max_magnitude)));
  CHECK(torch::equal(y, ops::tqt(x, quantizer.log2_t().detach(), 5, ops::Signedness::Signed)));

  const torch::Tensor log2_t_before = quantizer.log2_t().detach().clone();
  const torch::Tensor y2 = quantizer.forward(x * 100);
  CHECK(torch::equal(quantizer.log2_t(), log2_t_before));
  (y2 * torch::randn({6, 7})).sum().backward();
  REQUIRE(quantizer.log2_t().grad().defined());
  CHECK(quantizer.log2_t().grad().abs().item<float>() > 0.0f);
}

TEST_CASE("TqtQuantizer: an all-zero first batch still gives a usable threshold and disabled is identity",
          "[quantnn]") {
  TqtQuantizer quantizer(8, ops::Signedness::Unsigned);
  const torch::Tensor zeros = torch::zeros({4});
  CHECK(torch::equal(quantizer.forward(zeros), zeros));
  CHECK(std::isfinite(quantizer.log2_t().item<double>()));
  quantizer.set_enabled(false);
  const torch::Tensor x = torch::randn({4});
  CHECK(torch::equal(quantizer.forward(x), x));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

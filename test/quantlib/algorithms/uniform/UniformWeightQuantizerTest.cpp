#include "quantlib/algorithms/uniform/UniformWeightQuantizer.h"

#include <sstream>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/SymmetricUniform.h"
#include "quantlib/ops/WeightRange.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::UniformWeightQuantizer;

TEST_CASE("UniformWeightQuantizer sets its scale from the first weight, then keeps it", "[weights]") {
  torch::manual_seed(3);
  UniformWeightQuantizer quantizer(4, 0, ops::RangeInit{ops::RangeMethod::Max});
  CHECK_FALSE(quantizer.initialised());
  const torch::Tensor w = torch::randn({5, 6}, torch::requires_grad());
  const torch::Tensor y = quantizer.forward(w);
  REQUIRE(quantizer.initialised());
  CHECK(torch::allclose(quantizer.scale(), (w.abs().max() / 7).reshape({1})));
  CHECK(torch::equal(y, ops::symmetric_uniform(w, quantizer.scale(), 4)));
  y.sum().backward();
  const torch::Tensor inside = w.detach().abs() <= quantizer.scale() * 7;
  CHECK(inside.sum().item<int64_t>() >= 29);  // Q s is max |w| up to rounding
  CHECK(torch::equal(w.grad(), inside.to(torch::kFloat)));

  const torch::Tensor scale_before = quantizer.scale().clone();
  quantizer.forward(w.detach() * 10);
  CHECK(torch::equal(quantizer.scale(), scale_before));
  CHECK(quantizer.statistics().at(0).first == "scale");
  CHECK(quantizer.bits() == 4);
}

TEST_CASE("UniformWeightQuantizer per channel with MSE: one scale per output channel", "[weights]") {
  torch::manual_seed(4);
  const ops::RangeInit mse{ops::RangeMethod::Mse};
  UniformWeightQuantizer quantizer(3, 4, mse);
  const torch::Tensor w = torch::randn({4, 2, 3, 3}) * torch::tensor({0.1f, 1.0f, 2.0f, 5.0f}).view({4, 1, 1, 1});
  quantizer.initialise(w);
  CHECK(torch::equal(quantizer.scale(), ops::symmetric_weight_scales(w, 3, mse, true)));
  CHECK(torch::equal(quantizer.forward(w), ops::symmetric_uniform(w, quantizer.scale(), 3)));
  CHECK_THROWS_WITH(UniformWeightQuantizer(3, 5).forward(w), Catch::Contains("5 channels"));
  CHECK_THROWS_WITH(UniformWeightQuantizer(1), Catch::Contains("bits must be in [2, 24]"));
  CHECK_THROWS_WITH(UniformWeightQuantizer(4, -1), Catch::Contains("per_channel_count"));
}

TEST_CASE("UniformWeightQuantizer's scale travels in its state: a loaded copy does not re-initialise", "[weights]") {
  torch::manual_seed(5);
  UniformWeightQuantizer trained(5, 3, ops::RangeInit{ops::RangeMethod::Std});
  trained.forward(torch::randn({3, 8}));
  UniformWeightQuantizer fresh(5, 3, ops::RangeInit{ops::RangeMethod::Std});
  quantlab::test::copy_state(trained, fresh);
  REQUIRE(fresh.initialised());
  CHECK(torch::equal(fresh.scale(), trained.scale()));
  const torch::Tensor other = torch::randn({3, 8}) * 4;
  CHECK(torch::equal(fresh.forward(other), trained.forward(other)));
}

TEST_CASE("UniformWeightQuantizer disabled is the identity and does not initialise", "[weights]") {
  UniformWeightQuantizer quantizer(4);
  quantizer.set_enabled(false);
  const torch::Tensor w = torch::randn({3, 3});
  CHECK(torch::equal(quantizer.forward(w), w));
  CHECK_FALSE(quantizer.initialised());
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

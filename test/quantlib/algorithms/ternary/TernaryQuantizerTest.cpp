#include "quantlib/algorithms/ternary/TernaryQuantizer.h"

#include <sstream>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Ternary.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::TernaryQuantizer;

TEST_CASE("TernaryQuantizer quantizes weights (per tensor or channel) or activations as the ternary ops",
          "[weights]") {
  torch::manual_seed(10);
  const torch::Tensor w = torch::randn({4, 3, 2});
  using Kind = TernaryQuantizer::Kind;
  CHECK(torch::equal(TernaryQuantizer(Kind::Weights).forward(w), ops::ternary_weights(w, false, 0.7)));
  CHECK(torch::equal(TernaryQuantizer(Kind::Weights, 4).forward(w), ops::ternary_weights(w, true, 0.7)));
  CHECK(torch::equal(TernaryQuantizer(Kind::Weights, 4, 0.5).forward(w), ops::ternary_weights(w, true, 0.5)));
  CHECK(torch::equal(TernaryQuantizer(Kind::Activations).forward(w), ops::ternary_activations(w, 0.5)));
  CHECK(TernaryQuantizer(Kind::Activations).threshold() == 0.5);
  CHECK(TernaryQuantizer(Kind::Weights).threshold() == 0.7);
  CHECK(TernaryQuantizer(Kind::Weights).bits() == 2);
  CHECK_THROWS_WITH(TernaryQuantizer(Kind::Weights, 3).forward(w), Catch::Contains("3 channels"));
  CHECK_THROWS_WITH(TernaryQuantizer(Kind::Activations, 2), Catch::Contains("activations"));
  CHECK_THROWS_WITH(TernaryQuantizer(Kind::Weights, 0, -1.0), Catch::Contains("non-negative"));
}

TEST_CASE("TernaryQuantizer has no state to save and a loaded copy quantizes the same and disabled is identity",
          "[weights]") {
  torch::manual_seed(11);
  TernaryQuantizer saved(TernaryQuantizer::Kind::Weights, 2);
  CHECK(saved.named_buffers().is_empty());
  TernaryQuantizer loaded(TernaryQuantizer::Kind::Weights, 2);
  quantlab::test::copy_state(saved, loaded);
  const torch::Tensor w = torch::randn({2, 5});
  CHECK(torch::equal(loaded.forward(w), saved.forward(w)));
  loaded.set_enabled(false);
  CHECK(torch::equal(loaded.forward(w), w));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

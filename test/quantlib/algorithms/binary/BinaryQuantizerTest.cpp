#include "quantlib/algorithms/binary/BinaryQuantizer.h"

#include <sstream>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Binary.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::BinaryQuantizer;

TEST_CASE("BinaryQuantizer quantizes weights (per tensor or channel) or activations as the binary ops", "[weights]") {
  torch::manual_seed(8);
  const torch::Tensor w = torch::randn({4, 3, 2});
  CHECK(torch::equal(BinaryQuantizer(BinaryQuantizer::Kind::Weights).forward(w), ops::binary_weights(w, false)));
  CHECK(torch::equal(BinaryQuantizer(BinaryQuantizer::Kind::Weights, 4).forward(w), ops::binary_weights(w, true)));
  CHECK(torch::equal(BinaryQuantizer(BinaryQuantizer::Kind::Activations).forward(w), ops::binary_activations(w)));
  CHECK(BinaryQuantizer(BinaryQuantizer::Kind::Weights).bits() == 1);
  CHECK_THROWS_WITH(BinaryQuantizer(BinaryQuantizer::Kind::Weights, 3).forward(w), Catch::Contains("3 channels"));
  CHECK_THROWS_WITH(BinaryQuantizer(BinaryQuantizer::Kind::Activations, 3), Catch::Contains("activations"));
}

TEST_CASE("BinaryQuantizer has no state to save and a loaded copy quantizes the same and disabled is identity",
          "[weights]") {
  torch::manual_seed(9);
  BinaryQuantizer saved(BinaryQuantizer::Kind::Weights, 2);
  CHECK(saved.named_parameters().is_empty());
  CHECK(saved.named_buffers().is_empty());
  BinaryQuantizer loaded(BinaryQuantizer::Kind::Weights, 2);
  quantlab::test::copy_state(saved, loaded);
  const torch::Tensor w = torch::randn({2, 5});
  CHECK(torch::equal(loaded.forward(w), saved.forward(w)));
  loaded.set_enabled(false);
  CHECK(torch::equal(loaded.forward(w), w));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

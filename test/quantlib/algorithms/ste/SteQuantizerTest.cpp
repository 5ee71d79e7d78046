#include "quantlib/algorithms/ste/SteQuantizer.h"

#include <cmath>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/UniformSte.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::SteQuantizer;

TEST_CASE("SteQuantizer records max |x| while monitoring, then quantizes to n_levels on [-m, m]", "[quantnn]") {
  torch::manual_seed(9);
  SteQuantizer quantizer(5);
  REQUIRE_FALSE(quantizer.enabled());
  const torch::Tensor small = torch::randn({20});
  const torch::Tensor large = torch::randn({20}) * 4;
  CHECK(torch::equal(quantizer.forward(large), large));  // not monitoring: nothing recorded
  CHECK(quantizer.abs_max().item<float>() == 0.0f);

  quantizer.set_monitoring(true);
  CHECK(torch::equal(quantizer.forward(large), large));  // monitoring alone does not quantize
  CHECK(torch::equal(quantizer.forward(small), small));
  const float m = std::max(large.abs().max().item<float>(), small.abs().max().item<float>());
  CHECK(quantizer.abs_max().item<float>() == m);

  quantizer.set_monitoring(false);
  quantizer.set_enabled(true);
  const torch::Tensor x = torch::cat({torch::randn({50}) * 5, torch::tensor({2 * m, -2 * m})});
  const torch::Tensor y = quantizer.forward(x);
  CHECK(torch::equal(y, ops::uniform_ste(x, 5, static_cast<double>(m))));
  // The 5 levels on [-m, m]: -m, -m/2, 0, m/2, m.
  const torch::Tensor level_index = (y + m) / (m / 2);
  CHECK(torch::allclose(level_index, level_index.round(), 0.0, 1e-4));
  CHECK(level_index.min().item<float>() >= -1e-4f);
  CHECK(level_index.max().item<float>() <= 4.0f + 1e-4f);
  CHECK(std::get<0>(torch::_unique(y)).numel() <= 5);
  CHECK(y.abs().max().item<float>() == Approx(m));  // beyond m: clamped to the extreme level
}

TEST_CASE("SteQuantizer refuses to quantize before anything was recorded and reset forgets", "[quantnn]") {
  SteQuantizer quantizer(3);
  quantizer.set_enabled(true);
  CHECK_THROWS_AS(quantizer.forward(torch::ones({2})), c10::Error);
  quantizer.set_monitoring(true);
  quantizer.forward(torch::full({2}, 2.0f));
  CHECK(quantizer.abs_max().item<float>() == 2.0f);
  quantizer.reset_abs_max();
  CHECK(quantizer.abs_max().item<float>() == 0.0f);
  CHECK(quantizer.named_buffers().contains("abs_max"));
  CHECK_THROWS_AS(SteQuantizer(1), c10::Error);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

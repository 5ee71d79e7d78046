#include "quantlib/algorithms/pact/PactQuantizer.h"

#include <cmath>

#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/Pact.h"

namespace quantlib::nn {

PactQuantizer::PactQuantizer(int64_t bits, ops::Signedness signedness, double alpha_init, ops::Rounding rounding)
    : Quantizer("PactQuantizer", /*enabled=*/true), bits_(bits), signedness_(signedness), rounding_(rounding) {
  ops::detail::check_bits("PactQuantizer", bits, signedness);
  TORCH_CHECK(std::isfinite(alpha_init) && alpha_init > 0, "PactQuantizer: alpha_init must be positive and finite, got ",
              alpha_init);
  alpha_ = register_parameter("alpha", torch::full({1}, alpha_init, torch::kFloat));
}

torch::Tensor PactQuantizer::quantize(const torch::Tensor& x) { return ops::pact(x, alpha_, bits_, signedness_, rounding_); }

IntegerGrid PactQuantizer::integer_grid() const {
  const int64_t level_max = (int64_t{1} << (signedness_ == ops::Signedness::Signed ? bits_ - 1 : bits_)) - 1;
  // In float32, as the kernel computes it.
  const float step = alpha_.item<float>() / static_cast<float>(level_max);
  return IntegerGrid::of_bits(grid_step(step), bits_, signedness_, /*symmetric=*/true, rounding_);
}

}  // namespace quantlib::nn

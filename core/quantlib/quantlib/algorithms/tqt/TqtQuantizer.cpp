#include "quantlib/algorithms/tqt/TqtQuantizer.h"

#include <cmath>

#include <torch/torch.h>

#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/Tqt.h"

namespace quantlib::nn {

namespace {

// An all-zero first batch would give log2_t = -inf; 2^-100 keeps the op's scale a
// normal float for every bit width it accepts (at most 24).
constexpr double smallest_initial_threshold = 0x1p-100;

}  // namespace

TqtQuantizer::TqtQuantizer(int64_t bits, ops::Signedness signedness)
    : Quantizer("TqtQuantizer", /*enabled=*/true), bits_(bits), signedness_(signedness) {
  ops::detail::check_bits("TqtQuantizer", bits, signedness);
  log2_t_ = register_parameter("log2_t", torch::zeros({1}, torch::kFloat));
  initialised_ = register_buffer("initialised", torch::zeros({1}, torch::kFloat));
}

bool TqtQuantizer::initialised() const { return initialised_read_.read(initialised_); }

void TqtQuantizer::initialise(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor max_magnitude =
      x.numel() > 0 ? x.detach().abs().max().reshape({1}) : torch::zeros({1}, x.options());
  log2_t_.copy_(torch::log2(max_magnitude.clamp_min(smallest_initial_threshold)));
  initialised_.fill_(1.0f);
}

torch::Tensor TqtQuantizer::quantize(const torch::Tensor& x) {
  if (!initialised()) initialise(x);
  return ops::tqt(x, log2_t_, bits_, signedness_);
}

IntegerGrid TqtQuantizer::integer_grid() const {
  if (!initialised()) return IntegerGrid::none("it has seen no data, so its threshold is not set");
  // The step is the power of two 2^(ceil(log2 t) - b + 1) signed, 2^(ceil(log2 t) - b) unsigned.
  const int64_t offset = signedness_ == ops::Signedness::Signed ? bits_ - 1 : bits_;
  const double log2_t = log2_t_.item<float>();
  const double step = std::ldexp(1.0, static_cast<int>(std::ceil(log2_t)) - static_cast<int>(offset));
  return IntegerGrid::of_bits(grid_step(step), bits_, signedness_, /*symmetric=*/false);
}

}  // namespace quantlib::nn

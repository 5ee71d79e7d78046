#include "quantlib/nn/TqtQuantizer.h"

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

bool TqtQuantizer::initialised() const { return initialised_.item<float>() != 0.0f; }

void TqtQuantizer::initialise(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor max_magnitude =
      x.numel() > 0 ? x.detach().abs().max().reshape({1}) : torch::zeros({1}, torch::kFloat);
  log2_t_.copy_(torch::log2(max_magnitude.clamp_min(smallest_initial_threshold)));
  initialised_.fill_(1.0f);
}

torch::Tensor TqtQuantizer::quantize(const torch::Tensor& x) {
  if (!initialised()) initialise(x);
  return ops::tqt(x, log2_t_, bits_, signedness_);
}

}  // namespace quantlib::nn

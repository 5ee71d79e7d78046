#include "quantlib/algorithms/ana/AnaQuantizer.h"

#include <cmath>

#include <torch/torch.h>

namespace quantlib::nn {

namespace {

// The staircase needs a positive scale; an all-zero weight would give 0.
constexpr double smallest_initial_scale = 1e-8;

void check_noise_scale(const char* name, double value) {
  TORCH_CHECK(std::isfinite(value) && value >= 0.0, "AnaQuantizer: ", name, " must be finite and at least 0, got ",
              value);
}

}  // namespace

AnaQuantizer::AnaQuantizer(ops::AnaLevels levels, int64_t n_levels, ops::AnaNoise noise, ops::AnaForward forward,
                           std::optional<double> scale)
    : Quantizer("AnaQuantizer", /*enabled=*/true), levels_(levels), n_levels_(n_levels), noise_(noise),
      forward_(forward) {
  // Builds the staircase once to check the level set and the scale.
  ops::ana_staircase(levels, n_levels, scale.value_or(1.0));
  scale_ = register_buffer("scale", torch::full({1}, scale.value_or(1.0), torch::kFloat));
  initialised_ = register_buffer("initialised", torch::full({1}, scale.has_value() ? 1.0f : 0.0f, torch::kFloat));
  s_fwd_ = register_buffer("s_fwd", torch::zeros({1}, torch::kFloat));
  s_bwd_ = register_buffer("s_bwd", torch::zeros({1}, torch::kFloat));
}

void AnaQuantizer::set_s_fwd(double s_fwd) {
  check_noise_scale("s_fwd", s_fwd);
  s_fwd_.fill_(s_fwd);
}

void AnaQuantizer::set_s_bwd(double s_bwd) {
  check_noise_scale("s_bwd", s_bwd);
  s_bwd_.fill_(s_bwd);
}

double AnaQuantizer::s_fwd() const { return s_fwd_.item<double>(); }
double AnaQuantizer::s_bwd() const { return s_bwd_.item<double>(); }

bool AnaQuantizer::initialised() const { return initialised_read_.read(initialised_); }
double AnaQuantizer::scale() const { return scale_.item<double>(); }

void AnaQuantizer::initialise(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const double abs_max = x.numel() == 0 ? 0.0 : x.detach().abs().max().item<double>();
  TORCH_CHECK(std::isfinite(abs_max), "AnaQuantizer: cannot take the scale from a tensor with max |x| = ", abs_max);
  scale_.fill_(std::max(abs_max, smallest_initial_scale));
  initialised_.fill_(1.0f);
}

ops::AnaStaircase AnaQuantizer::staircase() const { return ops::ana_staircase(levels_, n_levels_, scale()); }

int64_t AnaQuantizer::bits() const {
  int64_t bits = 0;
  while ((int64_t{1} << bits) < n_levels_) ++bits;
  return bits;
}

torch::Tensor AnaQuantizer::quantize(const torch::Tensor& x) {
  if (!initialised()) initialise(x);
  const ops::AnaForward forward = is_training() ? forward_ : ops::AnaForward::Mode;
  return ops::ana(x, staircase(), noise_, forward, s_fwd(), s_bwd(), generator_);
}

IntegerGrid AnaQuantizer::integer_grid() const {
  // Annealed to its staircase, a weight's levels are multiples of the
  // smallest; an activation's are not a fixed grid of its input while noise
  // or expectation shape them, so integerize refuses it.
  return IntegerGrid::multiples();
}

}  // namespace quantlib::nn

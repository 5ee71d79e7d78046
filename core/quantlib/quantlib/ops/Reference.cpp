#include "quantlib/ops/Reference.h"

#include <cmath>
#include <vector>

#include <torch/torch.h>

#include "quantlib/ops/Lsq.h"

namespace quantlib::ops::reference {
namespace {

// Forward: value, exactly. Backward: the gradient of surrogate.
torch::Tensor straight_through(const torch::Tensor& value, const torch::Tensor& surrogate) {
  return value.detach() + (surrogate - surrogate.detach());
}

torch::Tensor scalar_like(const torch::Tensor& like, double value) {
  return torch::scalar_tensor(value, like.options().requires_grad(false));
}

struct Levels {
  double min;
  double max;
};

Levels twos_complement_levels(int64_t bits, Signedness signedness) {
  if (signedness == Signedness::Signed) {
    const double half = std::ldexp(1.0, static_cast<int>(bits - 1));
    return {-half, half - 1.0};
  }
  return {0.0, std::ldexp(1.0, static_cast<int>(bits)) - 1.0};
}

}  // namespace

torch::Tensor clip_closed(const torch::Tensor& x, double lo, double hi) {
  return torch::where(x < lo, scalar_like(x, lo), torch::where(x > hi, scalar_like(x, hi), x));
}

torch::Tensor uniform_ste(const torch::Tensor& x, int64_t n_levels, double bound) {
  // Scalars rounded to float32 here, as the fused kernel sees them.
  const double m = static_cast<float>(bound);
  const double step = static_cast<float>(2.0 * bound / static_cast<double>(n_levels - 1));
  const double offset = n_levels % 2 == 0 ? 0.5 : 0.0;
  const torch::Tensor clamped = clip_closed(x, -m, m);
  const torch::Tensor quantized = clamped.div(step).add(offset).round().sub(offset).mul(step);
  return straight_through(quantized, clamped);
}

torch::Tensor pact(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits, Signedness signedness,
                   Rounding rounding) {
  const bool is_signed = signedness == Signedness::Signed;
  const double level_max = std::ldexp(1.0, static_cast<int>(is_signed ? bits - 1 : bits)) - 1.0;
  const double level_min = is_signed ? -level_max : 0.0;
  const torch::Tensor high = alpha.reshape({});
  const torch::Tensor low = is_signed ? -high : scalar_like(x, 0.0);

  const torch::Tensor step = high.detach() / level_max;
  const torch::Tensor scaled = x / step;
  torch::Tensor level = (rounding == Rounding::Floor ? scaled.floor() : scaled.round()).clamp(level_min, level_max);
  level = torch::where(x >= high.detach(), scalar_like(x, level_max), level);
  level = torch::where(x < low.detach(), scalar_like(x, level_min), level);
  const torch::Tensor quantized = level * step;

  // The paper's clipping, [low, alpha) inside, through which alpha gets its gradient.
  const torch::Tensor clipped = torch::where(x >= high, high, torch::where(x < low, low, x));
  return straight_through(quantized, clipped);
}

torch::Tensor lsq(const torch::Tensor& x, const torch::Tensor& step, int64_t bits, Signedness signedness,
                  std::optional<double> grad_scale) {
  const Levels levels = twos_complement_levels(bits, signedness);
  const bool per_tensor = step.numel() == 1;
  std::vector<int64_t> step_shape{};
  if (!per_tensor) {
    step_shape.assign(static_cast<size_t>(x.dim()), 1);
    step_shape[0] = step.numel();
  }
  const torch::Tensor s = step.reshape(step_shape);
  const int64_t elements_per_step = step.numel() == 0 ? 0 : x.numel() / step.numel();
  const double g = grad_scale.value_or(lsq_default_grad_scale(elements_per_step, bits, signedness));

  const torch::Tensor scaled_step = straight_through(s, s * g);
  const torch::Tensor scaled = x / scaled_step;
  // where, not clamp: the paper's inside is open, -Qn < v/s < Qp.
  const torch::Tensor clipped = torch::where(
      scaled <= levels.min, scalar_like(x, levels.min),
      torch::where(scaled >= levels.max, scalar_like(x, levels.max), scaled));
  return straight_through(clipped.round(), clipped) * scaled_step;
}

torch::Tensor tqt(const torch::Tensor& x, const torch::Tensor& log2_t, int64_t bits, Signedness signedness) {
  const Levels levels = twos_complement_levels(bits, signedness);
  const double divisor = std::ldexp(1.0, static_cast<int>(signedness == Signedness::Signed ? bits - 1 : bits));
  const torch::Tensor log2_threshold = log2_t.reshape({});
  const torch::Tensor scale = torch::pow(2.0, straight_through(log2_threshold.ceil(), log2_threshold)) / divisor;
  const torch::Tensor scaled = x / scale;
  return clip_closed(straight_through(scaled.round(), scaled), levels.min, levels.max) * scale;
}

}  // namespace quantlib::ops::reference

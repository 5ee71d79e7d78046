#pragma once
// The per-element formulas of the fused uniform quantizers (uniform STE, PACT,
// LSQ, TQT, symmetric uniform), shared by their CPU and CUDA kernels: forward
// value, gradient of the input and term of the learned parameter's gradient
// of one element. Formulas in ../../UniformSte.h, Pact.h, Lsq.h, Tqt.h,
// SymmetricUniform.h. Free of LibTorch (see FloatOps.h).
#include "quantlib/ops/kernels/LsqKernels.h"
#include "quantlib/ops/kernels/PactKernels.h"
#include "quantlib/ops/kernels/TqtKernels.h"
#include "quantlib/ops/kernels/UniformSteKernels.h"
#include "quantlib/ops/kernels/elements/FloatOps.h"

namespace quantlib::ops::kernels {

struct UniformSteElement {
  UniformSteKernelParams params;

  // The same float operations, in the same order, as the composed reference.
  QUANTLIB_HOST_DEVICE float forward(float x) const {
    const float clamped = clamp(x, -params.bound, params.bound);
    const float level = round_half_even(clamped / params.step + params.level_offset) - params.level_offset;
    return level * params.step;
  }
  QUANTLIB_HOST_DEVICE float grad_input(float x, float grad_y) const {
    return select(x >= -params.bound && x <= params.bound, grad_y, 0.0f);
  }
  QUANTLIB_HOST_DEVICE float grad_param_term(float, float) const { return 0.0f; }
};

// The clip range is [clip_low, clip_high): an input at alpha counts as clipped, as in
// the paper's d(y)/d(alpha) = 1 for x in [alpha, +inf).
template <Rounding kRounding>
struct PactElement {
  PactKernelParams params;

  QUANTLIB_HOST_DEVICE bool clipped_high(float x) const { return x >= params.clip_high; }
  QUANTLIB_HOST_DEVICE bool clipped_low(float x) const { return x < params.clip_low; }

  // Clipped inputs take the extreme levels directly: x / step at x = alpha may land
  // an ulp below level_max, which floor would turn into the level below.
  QUANTLIB_HOST_DEVICE float forward(float x) const {
    const float scaled = x / params.step;
    const float rounded = kRounding == Rounding::Floor ? floor_exact(scaled) : round_half_even(scaled);
    float level = clamp(rounded, params.level_min, params.level_max);
    level = select(clipped_high(x), params.level_max, level);
    level = select(clipped_low(x), params.level_min, level);
    return level * params.step;
  }
  QUANTLIB_HOST_DEVICE float grad_input(float x, float grad_y) const {
    return select(clipped_high(x) || clipped_low(x), 0.0f, grad_y);
  }
  QUANTLIB_HOST_DEVICE float grad_param_term(float x, float grad_y) const {
    return select(clipped_high(x), grad_y, select(clipped_low(x), params.clip_low_alpha_sign * grad_y, 0.0f));
  }
};

// Inside means -Qn < x/s < Qp, strictly, as in the paper.
struct LsqElement {
  float step;
  float level_min;
  float level_max;

  QUANTLIB_HOST_DEVICE float forward(float x) const {
    return round_half_even(clamp(x / step, level_min, level_max)) * step;
  }
  QUANTLIB_HOST_DEVICE float grad_input(float x, float grad_y) const {
    const float scaled = x / step;
    return select(scaled <= level_min || scaled >= level_max, 0.0f, grad_y);
  }
  QUANTLIB_HOST_DEVICE float grad_param_term(float x, float grad_y) const {
    const float scaled = x / step;
    const float inside = round_half_even(scaled) - scaled;
    return grad_y * select(scaled <= level_min, level_min, select(scaled >= level_max, level_max, inside));
  }
};

// TQT rounds before clipping, so inside means n <= round(x/s) <= p.
struct TqtElement {
  TqtKernelParams params;

  QUANTLIB_HOST_DEVICE float forward(float x) const {
    return clamp(round_half_even(x / params.scale), params.level_min, params.level_max) * params.scale;
  }
  QUANTLIB_HOST_DEVICE float grad_input(float x, float grad_y) const {
    const float rounded = round_half_even(x / params.scale);
    return select(rounded < params.level_min || rounded > params.level_max, 0.0f, grad_y);
  }
  QUANTLIB_HOST_DEVICE float grad_param_term(float x, float grad_y) const {
    const float scaled = x / params.scale;
    const float rounded = round_half_even(scaled);
    return grad_y * select(rounded < params.level_min, params.level_min,
                           select(rounded > params.level_max, params.level_max, rounded - scaled));
  }
};

// The same float operations, in the same order, as the composed reference.
struct SymmetricUniformElement {
  float step;
  float level_max;
  float bound;  // level_max * step: the straight-through range is [-bound, bound]

  QUANTLIB_HOST_DEVICE static SymmetricUniformElement of(float step, float level_max) {
    return SymmetricUniformElement{step, level_max, level_max * step};
  }
  QUANTLIB_HOST_DEVICE float forward(float x) const {
    return clamp(round_half_even(x / step), -level_max, level_max) * step;
  }
  QUANTLIB_HOST_DEVICE float grad_input(float x, float grad_y) const {
    return select(x >= -bound && x <= bound, grad_y, 0.0f);
  }
  QUANTLIB_HOST_DEVICE float grad_param_term(float, float) const { return 0.0f; }
};

}  // namespace quantlib::ops::kernels

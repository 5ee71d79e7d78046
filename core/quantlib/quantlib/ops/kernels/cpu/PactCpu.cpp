// Fused CPU kernels of PACT; formulas in ../../Pact.h.
#include "quantlib/ops/kernels/PactKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"

namespace quantlib::ops::kernels::cpu {
namespace {

// The clip range is [clip_low, clip_high): an input at alpha counts as clipped, as in
// the paper's d(y)/d(alpha) = 1 for x in [alpha, +inf).
template <Rounding kRounding>
struct PactElement {
  PactKernelParams params;

  bool clipped_high(float x) const { return x >= params.clip_high; }
  bool clipped_low(float x) const { return x < params.clip_low; }

  // Clipped inputs take the extreme levels directly: x / step at x = alpha may land
  // an ulp below level_max, which floor would turn into the level below.
  float forward(float x) const {
    const float scaled = x / params.step;
    const float rounded = kRounding == Rounding::Floor ? floor_exact(scaled) : round_half_even(scaled);
    float level = clamp(rounded, params.level_min, params.level_max);
    level = select(clipped_high(x), params.level_max, level);
    level = select(clipped_low(x), params.level_min, level);
    return level * params.step;
  }
  float grad_input(float x, float grad_y) const {
    return select(clipped_high(x) || clipped_low(x), 0.0f, grad_y);
  }
  float grad_param_term(float x, float grad_y) const {
    return select(clipped_high(x), grad_y,
                  select(clipped_low(x), params.clip_low_alpha_sign * grad_y, 0.0f));
  }
};

template <Rounding kRounding>
void forward_with(const float* x, float* y, int64_t numel, const PactKernelParams& params) {
  const PactElement<kRounding> element{params};
  run_forward(x, y, ChannelLayout{1, numel}, [&](int64_t) { return element; });
}

}  // namespace

void pact_forward(const float* x, float* y, int64_t numel, const PactKernelParams& params) {
  if (params.rounding == Rounding::Floor)
    forward_with<Rounding::Floor>(x, y, numel, params);
  else
    forward_with<Rounding::Nearest>(x, y, numel, params);
}

void pact_backward(const float* x, const float* grad_y, int64_t numel, const PactKernelParams& params,
                   float* grad_x, double* grad_alpha) {
  // The backward does not depend on the rounding mode.
  const PactElement<Rounding::Nearest> element{params};
  run_backward(x, grad_y, grad_x, grad_alpha, ChannelLayout{1, numel}, [&](int64_t) { return element; });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

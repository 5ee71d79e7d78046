// Fused CPU kernels of the uniform STE quantizer; formulas in ../../UniformSte.h.
#include "quantlib/ops/kernels/UniformSteKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"

namespace quantlib::ops::kernels::cpu {
namespace {

struct UniformSteElement {
  UniformSteKernelParams params;

  // The same float operations, in the same order, as the composed reference.
  float forward(float x) const {
    const float clamped = clamp(x, -params.bound, params.bound);
    const float level = round_half_even(clamped / params.step + params.level_offset) - params.level_offset;
    return level * params.step;
  }
  float grad_input(float x, float grad_y) const {
    return select(x >= -params.bound && x <= params.bound, grad_y, 0.0f);
  }
  float grad_param_term(float, float) const { return 0.0f; }
};

}  // namespace

void uniform_ste_forward(const float* x, float* y, int64_t numel, const UniformSteKernelParams& params) {
  const UniformSteElement element{params};
  run_forward(x, y, ChannelLayout{1, numel}, [&](int64_t) { return element; });
}

void uniform_ste_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel,
                          const UniformSteKernelParams& params) {
  const UniformSteElement element{params};
  run_backward(x, grad_y, grad_x, nullptr, ChannelLayout{1, numel}, [&](int64_t) { return element; });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

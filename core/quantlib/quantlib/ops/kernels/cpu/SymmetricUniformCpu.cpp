// Fused CPU kernels of the symmetric uniform weight quantizer; formulas in
// ../../SymmetricUniform.h.
#include "quantlib/ops/kernels/SymmetricUniformKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"

namespace quantlib::ops::kernels::cpu {
namespace {

// The same float operations, in the same order, as the composed reference.
struct SymmetricUniformElement {
  float step;
  float level_max;
  float bound;  // level_max * step: the straight-through range is [-bound, bound]

  float forward(float x) const { return clamp(round_half_even(x / step), -level_max, level_max) * step; }
  float grad_input(float x, float grad_y) const { return select(x >= -bound && x <= bound, grad_y, 0.0f); }
  float grad_param_term(float, float) const { return 0.0f; }
};

ChannelLayout layout_of(const SymmetricUniformKernelParams& params) {
  return ChannelLayout{params.channels, params.channel_size};
}

SymmetricUniformElement element_for(const SymmetricUniformKernelParams& params, int64_t channel) {
  const float step = params.scales[channel];
  return SymmetricUniformElement{step, params.level_max, params.level_max * step};
}

}  // namespace

void symmetric_uniform_forward(const float* x, float* y, const SymmetricUniformKernelParams& params) {
  run_forward(x, y, layout_of(params), [&](int64_t channel) { return element_for(params, channel); });
}

void symmetric_uniform_backward(const float* x, const float* grad_y, float* grad_x,
                                const SymmetricUniformKernelParams& params) {
  run_backward(x, grad_y, grad_x, nullptr, layout_of(params),
               [&](int64_t channel) { return element_for(params, channel); });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

// Fused CPU kernels of the symmetric uniform weight quantizer; formulas in
// ../../SymmetricUniform.h.
#include "quantlib/ops/kernels/SymmetricUniformKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Quantizers.h"

namespace quantlib::ops::kernels::cpu {
namespace {

ChannelLayout layout_of(const SymmetricUniformKernelParams& params) {
  return ChannelLayout{params.channels, params.channel_size};
}

SymmetricUniformElement element_for(const SymmetricUniformKernelParams& params, int64_t channel) {
  const float step = params.scales[channel];
  return SymmetricUniformElement::of(step, params.level_max);
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

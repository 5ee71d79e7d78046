// Fused CPU kernels of LSQ; formulas in ../../Lsq.h.
#include "quantlib/ops/kernels/LsqKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Quantizers.h"

namespace quantlib::ops::kernels::cpu {
namespace {

ChannelLayout layout_of(const LsqKernelParams& params) {
  return ChannelLayout{params.channels, params.channel_size};
}

}  // namespace

void lsq_forward(const float* x, float* y, const LsqKernelParams& params) {
  run_forward(x, y, layout_of(params), [&](int64_t channel) {
    return LsqElement{params.steps[channel], params.level_min, params.level_max};
  });
}

void lsq_backward(const float* x, const float* grad_y, const LsqKernelParams& params, float* grad_x,
                  double* step_grad_sums) {
  run_backward(x, grad_y, grad_x, step_grad_sums, layout_of(params), [&](int64_t channel) {
    return LsqElement{params.steps[channel], params.level_min, params.level_max};
  });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

// Fused CPU kernels of LSQ; formulas in ../../Lsq.h.
#include "quantlib/ops/kernels/LsqKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"

namespace quantlib::ops::kernels::cpu {
namespace {

// Inside means -Qn < x/s < Qp, strictly, as in the paper.
struct LsqElement {
  float step;
  float level_min;
  float level_max;

  float forward(float x) const {
    return round_half_even(clamp(x / step, level_min, level_max)) * step;
  }
  float grad_input(float x, float grad_y) const {
    const float scaled = x / step;
    return select(scaled <= level_min || scaled >= level_max, 0.0f, grad_y);
  }
  float grad_param_term(float x, float grad_y) const {
    const float scaled = x / step;
    const float inside = round_half_even(scaled) - scaled;
    return grad_y * select(scaled <= level_min, level_min, select(scaled >= level_max, level_max, inside));
  }
};

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

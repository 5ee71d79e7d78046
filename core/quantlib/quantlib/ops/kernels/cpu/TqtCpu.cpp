// Fused CPU kernels of TQT; formulas in ../../Tqt.h.
#include "quantlib/ops/kernels/TqtKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"

namespace quantlib::ops::kernels::cpu {
namespace {

// TQT rounds before clipping, so inside means n <= round(x/s) <= p.
struct TqtElement {
  TqtKernelParams params;

  float forward(float x) const {
    return clamp(round_half_even(x / params.scale), params.level_min, params.level_max) * params.scale;
  }
  float grad_input(float x, float grad_y) const {
    const float rounded = round_half_even(x / params.scale);
    return select(rounded < params.level_min || rounded > params.level_max, 0.0f, grad_y);
  }
  float grad_param_term(float x, float grad_y) const {
    const float scaled = x / params.scale;
    const float rounded = round_half_even(scaled);
    return grad_y * select(rounded < params.level_min, params.level_min,
                           select(rounded > params.level_max, params.level_max, rounded - scaled));
  }
};

}  // namespace

void tqt_forward(const float* x, float* y, int64_t numel, const TqtKernelParams& params) {
  const TqtElement element{params};
  run_forward(x, y, ChannelLayout{1, numel}, [&](int64_t) { return element; });
}

void tqt_backward(const float* x, const float* grad_y, int64_t numel, const TqtKernelParams& params,
                  float* grad_x, double* log2_t_grad_sum) {
  const TqtElement element{params};
  run_backward(x, grad_y, grad_x, log2_t_grad_sum, ChannelLayout{1, numel},
               [&](int64_t) { return element; });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

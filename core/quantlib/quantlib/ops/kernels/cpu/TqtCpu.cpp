// Fused CPU kernels of TQT; formulas in ../../Tqt.h.
#include "quantlib/ops/kernels/TqtKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Quantizers.h"

namespace quantlib::ops::kernels::cpu {

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

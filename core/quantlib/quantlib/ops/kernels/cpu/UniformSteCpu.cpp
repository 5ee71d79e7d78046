// Fused CPU kernels of the uniform STE quantizer; formulas in ../../UniformSte.h.
#include "quantlib/ops/kernels/UniformSteKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Quantizers.h"

namespace quantlib::ops::kernels::cpu {

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

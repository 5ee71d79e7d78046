// Fused CPU kernels of PACT; formulas in ../../Pact.h.
#include "quantlib/ops/kernels/PactKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Quantizers.h"

namespace quantlib::ops::kernels::cpu {
namespace {

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

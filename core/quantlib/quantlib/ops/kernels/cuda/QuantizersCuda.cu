// CUDA kernels of the uniform quantizers: uniform STE, PACT, LSQ, TQT and the
// symmetric uniform weight quantizer. The element structs (the formulas) are
// the CPU kernels' own, from ../elements/Quantizers.h.
#include "quantlib/ops/kernels/cuda/Launch.cuh"
#include "quantlib/ops/kernels/elements/Quantizers.h"

namespace quantlib::ops::kernels::cuda {
namespace {

struct LsqElementFor {
  LsqKernelParams params;
  __device__ LsqElement operator()(int64_t channel) const {
    return LsqElement{params.steps[channel], params.level_min, params.level_max};
  }
};

struct SymmetricUniformElementFor {
  SymmetricUniformKernelParams params;
  __device__ SymmetricUniformElement operator()(int64_t channel) const {
    return SymmetricUniformElement::of(params.scales[channel], params.level_max);
  }
};

}  // namespace

void uniform_ste_forward(const float* x, float* y, int64_t numel, const UniformSteKernelParams& params, Stream stream) {
  launch_forward(x, y, numel, UniformSteElement{params}, stream);
}

void uniform_ste_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel,
                          const UniformSteKernelParams& params, Stream stream) {
  launch_grad_input(x, grad_y, grad_x, numel, UniformSteElement{params}, stream);
}

void pact_forward(const float* x, float* y, int64_t numel, const PactKernelParams& params, Stream stream) {
  if (params.rounding == Rounding::Floor)
    launch_forward(x, y, numel, PactElement<Rounding::Floor>{params}, stream);
  else
    launch_forward(x, y, numel, PactElement<Rounding::Nearest>{params}, stream);
}

void pact_backward(const float* x, const float* grad_y, int64_t numel, const PactKernelParams& params, float* grad_x,
                   double* grad_alpha_sum, double* workspace, Stream stream) {
  // The backward does not depend on the rounding mode.
  const PactElement<Rounding::Nearest> element{params};
  if (grad_alpha_sum == nullptr) {
    if (grad_x != nullptr) launch_grad_input(x, grad_y, grad_x, numel, element, stream);
    return;
  }
  launch_backward(x, grad_y, grad_x, grad_alpha_sum, 1, numel, SameElement<PactElement<Rounding::Nearest>>{element},
                  workspace, stream);
}

void lsq_forward(const float* x, float* y, const LsqKernelParams& params, Stream stream) {
  launch_channel_forward(x, y, params.channels, params.channel_size, LsqElementFor{params}, stream);
}

void lsq_backward(const float* x, const float* grad_y, const LsqKernelParams& params, float* grad_x,
                  double* step_grad_sums, double* workspace, Stream stream) {
  launch_backward(x, grad_y, grad_x, step_grad_sums, params.channels, params.channel_size, LsqElementFor{params},
                  workspace, stream);
}

void tqt_forward(const float* x, float* y, int64_t numel, const TqtKernelParams& params, Stream stream) {
  launch_forward(x, y, numel, TqtElement{params}, stream);
}

void tqt_backward(const float* x, const float* grad_y, int64_t numel, const TqtKernelParams& params, float* grad_x,
                  double* log2_t_grad_sum, double* workspace, Stream stream) {
  const TqtElement element{params};
  if (log2_t_grad_sum == nullptr) {
    if (grad_x != nullptr) launch_grad_input(x, grad_y, grad_x, numel, element, stream);
    return;
  }
  launch_backward(x, grad_y, grad_x, log2_t_grad_sum, 1, numel, SameElement<TqtElement>{element}, workspace, stream);
}

void symmetric_uniform_forward(const float* x, float* y, const SymmetricUniformKernelParams& params, Stream stream) {
  launch_channel_forward(x, y, params.channels, params.channel_size, SymmetricUniformElementFor{params}, stream);
}

void symmetric_uniform_backward(const float* x, const float* grad_y, float* grad_x,
                                const SymmetricUniformKernelParams& params, Stream stream) {
  launch_channel_grad_input(x, grad_y, grad_x, params.channels, params.channel_size,
                            SymmetricUniformElementFor{params}, stream);
}

}  // namespace quantlib::ops::kernels::cuda

#pragma once
// Kernels of LSQ (see ../Lsq.h), one namespace per device.
#include <cstdint>

namespace quantlib::ops::kernels {

struct LsqKernelParams {
  const float* steps;    // one per channel
  int64_t channels;      // 1 for a per-tensor step
  int64_t channel_size;  // elements per step value
  float level_min;       // -Qn
  float level_max;       // Qp
};

namespace cpu {
void lsq_forward(const float* x, float* y, const LsqKernelParams& params);
// grad_x and step_grad_sums may be null when not wanted. step_grad_sums gets, per
// channel, the sum of the paper's d(output)/d(step) terms before the gradient scale.
void lsq_backward(const float* x, const float* grad_y, const LsqKernelParams& params, float* grad_x,
                  double* step_grad_sums);
}  // namespace cpu

}  // namespace quantlib::ops::kernels

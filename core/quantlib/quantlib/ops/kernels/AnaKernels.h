#pragma once
// Kernels of ANA (see ../Ana.h), one namespace per device.
#include <cstdint>

#include "quantlib/ops/AnaOptions.h"

namespace quantlib::ops::kernels {

struct AnaKernelParams {
  const float* thresholds;  // sorted ascending, thresholds_count of them
  const float* levels;      // thresholds_count + 1
  int64_t thresholds_count;
  AnaNoise noise;
  float scale;  // s_fwd (forward) or s_bwd (backward); 0: hard step, zero gradient
};

namespace cpu {
// The hard staircase of x.
void ana_forward_mode(const float* x, float* y, int64_t numel, const AnaKernelParams& params);
// E[staircase(x + s nu)]; params.scale > 0.
void ana_forward_expectation(const float* x, float* y, int64_t numel, const AnaKernelParams& params);
// staircase(x + s nu) with nu the noise's inverse CDF at uniform_draws (in [0, 1)).
void ana_forward_random(const float* x, const float* uniform_draws, float* y, int64_t numel,
                        const AnaKernelParams& params);
// grad_x = grad_y * sum_i dq_i f((x - t_i) / s) / s; zero when params.scale is 0.
void ana_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel, const AnaKernelParams& params);
}  // namespace cpu

}  // namespace quantlib::ops::kernels

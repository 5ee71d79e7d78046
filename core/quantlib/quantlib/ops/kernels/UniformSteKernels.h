#pragma once
// Kernels of the uniform STE quantizer (see ../UniformSte.h), one namespace per device.
#include <cstdint>

namespace quantlib::ops::kernels {

struct UniformSteKernelParams {
  float bound;         // m: inputs are clamped to [-m, m]
  float step;          // 2m / (n_levels - 1)
  float level_offset;  // 0 when n_levels is odd (zero is a level), 0.5 when even
};

namespace cpu {
void uniform_ste_forward(const float* x, float* y, int64_t numel, const UniformSteKernelParams& params);
void uniform_ste_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel,
                          const UniformSteKernelParams& params);
}  // namespace cpu

}  // namespace quantlib::ops::kernels

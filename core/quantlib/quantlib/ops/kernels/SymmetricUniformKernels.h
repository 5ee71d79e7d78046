#pragma once
// Kernels of the symmetric uniform weight quantizer (see ../SymmetricUniform.h),
// one namespace per device.
#include <cstdint>

namespace quantlib::ops::kernels {

struct SymmetricUniformKernelParams {
  const float* scales;   // one per channel
  int64_t channels;      // 1 for a per-tensor scale
  int64_t channel_size;  // elements per scale value
  float level_max;       // 2^(bits-1) - 1
};

namespace cpu {
void symmetric_uniform_forward(const float* x, float* y, const SymmetricUniformKernelParams& params);
void symmetric_uniform_backward(const float* x, const float* grad_y, float* grad_x,
                                const SymmetricUniformKernelParams& params);
}  // namespace cpu

}  // namespace quantlib::ops::kernels

#pragma once
// Kernels of TQT (see ../Tqt.h), one namespace per device.
#include <cstdint>

namespace quantlib::ops::kernels {

struct TqtKernelParams {
  float scale;      // s = 2^ceil(log2_t) / 2^(bits-1) (signed) or / 2^bits (unsigned)
  float level_min;  // n
  float level_max;  // p
};

namespace cpu {
void tqt_forward(const float* x, float* y, int64_t numel, const TqtKernelParams& params);
// grad_x and log2_t_grad_sum may be null when not wanted. log2_t_grad_sum gets the
// sum of the paper's terms before the common factor s * ln 2.
void tqt_backward(const float* x, const float* grad_y, int64_t numel, const TqtKernelParams& params,
                  float* grad_x, double* log2_t_grad_sum);
}  // namespace cpu

}  // namespace quantlib::ops::kernels

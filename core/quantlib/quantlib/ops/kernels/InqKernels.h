#pragma once
// Kernels of the INQ forward (see ../Inq.h), one namespace per device.
#include <cstdint>

namespace quantlib::ops::kernels {
namespace cpu {
// y = frozen where it is a number, w where it is NaN.
void inq_forward(const float* w, const float* frozen, float* y, int64_t numel);
// grad_w = grad_y where frozen is NaN, 0 elsewhere.
void inq_backward(const float* frozen, const float* grad_y, float* grad_w, int64_t numel);
}  // namespace cpu
}  // namespace quantlib::ops::kernels

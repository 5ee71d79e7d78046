#pragma once
// Kernels shared by the binary and ternary quantizers (see ../Binary.h,
// ../Ternary.h): the per-channel statistics of |x| their scales come from, and
// the straight-through backward clipped to |x| <= 1 (the derivative of hardtanh)
// they all use. One namespace per device.
#include <cstdint>

namespace quantlib::ops::kernels {
namespace cpu {
// sums[c] = sum of |x| over channel c, in double and in an order that does not
// depend on the number of threads. x holds channels * channel_size elements.
void channel_abs_sums(const float* x, int64_t channels, int64_t channel_size, double* sums);
// Over the elements of channel c with |x| > thresholds[c]: the sum of |x| into
// sums[c] and their number into counts[c].
void channel_abs_sums_above(const float* x, int64_t channels, int64_t channel_size, const float* thresholds,
                            double* sums, int64_t* counts);
// grad_x = grad_y where |x| <= 1, else 0.
void clipped_straight_through_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel);
}  // namespace cpu
}  // namespace quantlib::ops::kernels

#pragma once
// Kernels of the ternary quantizers (see ../Ternary.h), one namespace per device;
// their backward and the scale statistics are in SignKernels.h.
#include <cstdint>

namespace quantlib::ops::kernels {
namespace cpu {
// y = scales[c] for w > thresholds[c], -scales[c] for w < -thresholds[c], else 0.
void ternary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size,
                             const float* thresholds, const float* scales);
// y = 1 for x > threshold, -1 for x < -threshold, else 0.
void ternary_activations_forward(const float* x, float* y, int64_t numel, float threshold);
}  // namespace cpu
}  // namespace quantlib::ops::kernels

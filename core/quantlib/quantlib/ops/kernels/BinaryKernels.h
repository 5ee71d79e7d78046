#pragma once
// Kernels of the binary quantizers (see ../Binary.h), one namespace per device;
// their backward and the scale statistics are in SignKernels.h.
#include <cstdint>

namespace quantlib::ops::kernels {
namespace cpu {
// y = scales[c] for x >= 0 and -scales[c] otherwise, c the channel of the element.
void binary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size, const float* scales);
// y = 1 for x >= 0 and -1 otherwise.
void binary_activations_forward(const float* x, float* y, int64_t numel);
}  // namespace cpu
}  // namespace quantlib::ops::kernels

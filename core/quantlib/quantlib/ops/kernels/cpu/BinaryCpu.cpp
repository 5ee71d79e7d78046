// Fused CPU kernels of the binary quantizers' forward; formulas in ../../Binary.h.
#include "quantlib/ops/kernels/BinaryKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Signs.h"

namespace quantlib::ops::kernels::cpu {

void binary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size, const float* scales) {
  run_forward(w, y, ChannelLayout{channels, channel_size}, [&](int64_t channel) { return BinaryElement{scales[channel]}; });
}

void binary_activations_forward(const float* x, float* y, int64_t numel) {
  run_forward(x, y, ChannelLayout{1, numel}, [](int64_t) { return BinaryElement{1.0f}; });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

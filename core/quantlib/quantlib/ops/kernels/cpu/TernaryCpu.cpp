// Fused CPU kernels of the ternary quantizers' forward; formulas in ../../Ternary.h.
#include "quantlib/ops/kernels/TernaryKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Signs.h"

namespace quantlib::ops::kernels::cpu {

void ternary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size,
                             const float* thresholds, const float* scales) {
  run_forward(w, y, ChannelLayout{channels, channel_size},
              [&](int64_t channel) { return TernaryElement{thresholds[channel], scales[channel]}; });
}

void ternary_activations_forward(const float* x, float* y, int64_t numel, float threshold) {
  run_forward(x, y, ChannelLayout{1, numel}, [&](int64_t) { return TernaryElement{threshold, 1.0f}; });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

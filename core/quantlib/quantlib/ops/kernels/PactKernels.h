#pragma once
// Kernels of PACT (see ../Pact.h), one namespace per device.
#include <cstdint>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::ops::kernels {

struct PactKernelParams {
  float clip_low;             // 0 (unsigned) or -alpha (signed)
  float clip_high;            // alpha
  float step;                 // alpha / level_max
  float level_min;            // 0 or -level_max
  float level_max;            // 2^bits - 1 (unsigned) or 2^(bits-1) - 1 (signed)
  float clip_low_alpha_sign;  // d clip_low / d alpha: 0 (unsigned) or -1 (signed)
  Rounding rounding;
};

namespace cpu {
void pact_forward(const float* x, float* y, int64_t numel, const PactKernelParams& params);
// grad_x and grad_alpha may be null when not wanted.
void pact_backward(const float* x, const float* grad_y, int64_t numel, const PactKernelParams& params,
                   float* grad_x, double* grad_alpha);
}  // namespace cpu

}  // namespace quantlib::ops::kernels

#pragma once
// TQT, fused: Jain, Gural, Wu and Dick 2020, "Trained Quantization Thresholds for
// Accurate and Efficient Fixed-Point Inference of Deep Neural Networks" (MLSys 2020).
//
// With a learned log2 threshold l = log2 t and b bits, a power-of-two scale:
//   signed    s = 2^ceil(l) / 2^(b-1),  n = -2^(b-1),  p = 2^(b-1) - 1
//   unsigned  s = 2^ceil(l) / 2^b,      n = 0,         p = 2^b - 1
//   q(x) = clamp(round(x / s), n, p) * s          (round half to even; round, then clip)
//   dq/dl = s ln2 (round(x/s) - x/s)   if n <= round(x/s) <= p
//           s ln2 n                    if round(x/s) < n
//           s ln2 p                    if round(x/s) > p
//           (ceil passes the gradient straight through)
//   dq/dx = 1 if n <= round(x/s) <= p, else 0
//
// x: float32 CPU or CUDA tensor of any shape, contiguous or not; log2_t: a one-element
// float32 tensor, usually requiring grad. Returns a new contiguous tensor of x's
// shape; log2_t's gradient has log2_t's shape. bits >= 1 (unsigned) or >= 2
// (signed), at most 24; s must be a normal float. Throws c10::Error (TORCH_CHECK)
// on wrong arguments.
#include <cstdint>

#include <torch/types.h>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::ops {

torch::Tensor tqt(const torch::Tensor& x, const torch::Tensor& log2_t, int64_t bits, Signedness signedness);

}  // namespace quantlib::ops

#pragma once
// LSQ, fused: Esser, McKinstry, Bablani, Appuswamy and Modha 2020, "Learned Step
// Size Quantization" (ICLR 2020).
//
// With a learned step s and b bits:
//   unsigned Qn = 0, Qp = 2^b - 1;  signed Qn = 2^(b-1), Qp = 2^(b-1) - 1
//   v_bar = round(clamp(v / s, -Qn, Qp)),  v_hat = v_bar * s            (eq. 1, 2)
//   d v_hat / d s = -v/s + round(v/s)   if -Qn < v/s < Qp              (eq. 3)
//                   -Qn                 if v/s <= -Qn
//                    Qp                 if v/s >= Qp
//   d v_hat / d v = 1 if -Qn < v/s < Qp, else 0 (straight-through)
//   s's gradient is scaled by g = 1 / sqrt(N * Qp) (section 2.2), N the number of
//   elements that share one value of s
//
// step: one element (per tensor) or x.size(0) elements (per channel along dim 0,
// any shape with that many elements, e.g. {C} or {C, 1, 1, 1}); every value
// positive. grad_scale replaces g when given: the paper counts, for activations,
// the features of one sample, which only the caller knows. For an empty x, g is 1
// (the gradient is zero anyway).
//
// x: float32 CPU or CUDA tensor of any shape, contiguous or not. Returns a new contiguous
// tensor of x's shape; step's gradient has step's shape. bits >= 1 (unsigned) or
// >= 2 (signed), at most 24. Throws c10::Error (TORCH_CHECK) on wrong arguments.
#include <cstdint>
#include <optional>

#include <torch/types.h>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::ops {

torch::Tensor lsq(const torch::Tensor& x, const torch::Tensor& step, int64_t bits, Signedness signedness,
                  std::optional<double> grad_scale = std::nullopt);

// g = 1 / sqrt(N * Qp) as LSQ defines it, for N elements per step value (1 when N is 0).
double lsq_default_grad_scale(int64_t elements_per_step, int64_t bits, Signedness signedness);

}  // namespace quantlib::ops

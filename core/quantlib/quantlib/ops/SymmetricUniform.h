#pragma once
// Symmetric uniform quantizer with a fixed scale, fused: the usual weight
// quantizer of quantization-aware training (e.g. Jacob et al. 2018, "Quantization
// and Training of Neural Networks for Efficient Integer-Arithmetic-Only
// Inference", restricted to a symmetric range).
//
// With b bits and Q = 2^(b-1) - 1 (the levels are symmetric, so -2^(b-1) is unused):
//   y     = clamp(round(x / s), -Q, Q) * s        round half to even, like torch::round
//   dy/dx = 1 for x in [-Q s, Q s], 0 outside     (straight-through; Q s is computed
//                                                  in float32)
// s is not learned (see WeightRange.h for how to choose it): it gets no gradient.
//
// x: float32 CPU or CUDA tensor of any shape, contiguous or not. scale: one element (per
// tensor) or x.size(0) elements (per channel along dim 0; any shape with that many
// elements, e.g. {C} or {C, 1, 1, 1}), every value a positive normal float32.
// Returns a new contiguous tensor of x's shape. bits in [2, 24]. Throws c10::Error
// (TORCH_CHECK) on wrong arguments.
#include <cstdint>

#include <torch/types.h>

namespace quantlib::ops {

torch::Tensor symmetric_uniform(const torch::Tensor& x, const torch::Tensor& scale, int64_t bits);

// Q = 2^(bits-1) - 1, the largest level; bits in [2, 24] (checked).
int64_t symmetric_level_max(int64_t bits);

}  // namespace quantlib::ops

#pragma once
// INQ, fused: Zhou, Yao, Guo, Xu and Chen 2017, "Incremental Network
// Quantization: Towards Lossless CNNs with Low-Precision Weights" (ICLR 2017).
//
// A layer keeps, beside its weights w, a tensor "frozen" of w's shape: NaN where
// the weight is still free (trained), its quantized value where it is frozen.
//   y     = frozen where frozen is a number, w where it is NaN
//   dy/dw = 0 where frozen, 1 where free (the paper's mask T in eq. 5)
// frozen gets no gradient. w, frozen: float32 CPU or CUDA tensors of the same shape,
// contiguous or not. Returns a new contiguous tensor of w's shape.
//
// Levels. Both level sets are symmetric and contain 0, so they are kept as their
// K sorted magnitudes 0 = L_0 < L_1 < ... < L_{K-1}, one row per channel:
//   power of two (paper eq. 2, 3): with s = max |w| and b bits (one for zero),
//     n1 = floor(log2(4 s / 3)),  n2 = n1 + 1 - 2^(b-1) / 2,
//     levels 0 and +-2^n for n2 <= n <= n1: K = 2^(b-2) + 1 magnitudes;
//     b in [2, 8] (more exponents would underflow float32)
//   uniform: n_levels (odd, >= 3) levels on [-s, s], magnitudes j s / h for
//     j = 0 .. h, h = (n_levels - 1) / 2 (n_levels = 3 is ternary)
// A weight is frozen to sign(w) times the magnitude nearest |w|; at a midpoint it
// goes to the larger one (the paper's (alpha + beta)/2 <= |w| rule). An all-zero
// channel (s = 0) has all magnitudes 0. Throws c10::Error (TORCH_CHECK) on wrong
// arguments.
#include <cstdint>

#include <torch/types.h>

namespace quantlib::ops {

torch::Tensor inq(const torch::Tensor& w, const torch::Tensor& frozen);

// Sorted magnitudes, shape {2^(n_bits-2) + 1}, float32.
torch::Tensor inq_power_of_two_magnitudes(double max_magnitude, int64_t n_bits);
// Sorted magnitudes, shape {(n_levels - 1) / 2 + 1}, float32.
torch::Tensor inq_uniform_magnitudes(double scale, int64_t n_levels);

// sign(w) * the nearest magnitude. magnitudes: {1, K} (one set for the tensor) or
// {w.size(0), K} (one per channel along dim 0), each row sorted. Not differentiable.
torch::Tensor inq_nearest_levels(const torch::Tensor& w, const torch::Tensor& magnitudes);

// The checks of the level-set arguments, for modules that check at construction.
void check_inq_power_of_two_bits(const char* where, int64_t n_bits);
void check_inq_uniform_levels(const char* where, int64_t n_levels);

}  // namespace quantlib::ops

#pragma once
// Uniform STE quantizer: the original QuantLab's STE activation, fused.
//
// n_levels uniform levels on [-m, m] with step D = 2m / (n_levels - 1), i.e. the
// levels -m + kD for k = 0 .. n_levels-1:
//   forward   y = D * (round(clamp(x, -m, m) / D + o) - o)
//             o = 0 for odd n_levels (zero is a level and maps exactly to 0),
//             o = 1/2 for even n_levels (the levels sit at odd multiples of D/2);
//             round is half to even, like torch::round
//   backward  dy/dx = 1 for x in [-m, m], 0 outside: the straight-through
//             estimator of Bengio, Leonard and Courville 2013, "Estimating or
//             Propagating Gradients Through Stochastic Neurons for Conditional
//             Computation"
// m is not learned: it gets no gradient.
//
// x: float32 CPU or CUDA tensor of any shape, contiguous or not. Returns a new contiguous
// tensor of x's shape. Throws c10::Error (TORCH_CHECK) on a wrong dtype or device,
// n_levels < 2, or m not positive and finite.
#include <cstdint>

#include <torch/types.h>

namespace quantlib::ops {

torch::Tensor uniform_ste(const torch::Tensor& x, int64_t n_levels, double bound);
// bound: a one-element tensor, e.g. a module's buffer holding the recorded max |x|.
torch::Tensor uniform_ste(const torch::Tensor& x, int64_t n_levels, const torch::Tensor& bound);

}  // namespace quantlib::ops

#pragma once
// The slow way for the weight quantizers (SymmetricUniform.h, Binary.h,
// Ternary.h, Inq.h): each written as composed LibTorch ops with the detach trick
// for straight-through gradients, and autograd doing the backward; for tests and
// benchmarks. As in ../Reference.h, the detach trick is
// value.detach() + (surrogate - surrogate.detach()), so the forward is the
// quantized value bit for bit, and the float operations are the fused kernels'.
// The scales of binary and ternary weights are exact means in double rounded
// once to float32, as the kernels compute them (up to the order of the double
// sums). The clipped straight-through gradient is clamp's, whose autograd counts
// |x| = 1 as inside, as the kernels do.
#include <cstdint>

#include <torch/types.h>

namespace quantlib::ops::reference {

torch::Tensor symmetric_uniform(const torch::Tensor& x, const torch::Tensor& scale, int64_t bits);

torch::Tensor binary_weights(const torch::Tensor& w, bool per_channel);
torch::Tensor binary_activations(const torch::Tensor& x);

torch::Tensor ternary_weights(const torch::Tensor& w, bool per_channel, double threshold_factor = 0.7);
torch::Tensor ternary_activations(const torch::Tensor& x, double threshold = 0.5);

torch::Tensor inq(const torch::Tensor& w, const torch::Tensor& frozen);

}  // namespace quantlib::ops::reference

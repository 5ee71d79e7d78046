#pragma once
// The slow way: each fused quantization operation written as composed LibTorch ops
// (clamp, round, div, mul, where) with the detach trick for straight-through
// gradients, and autograd doing the backward. Same arguments and formulas as the
// fused ops (see UniformSte.h, Pact.h, Lsq.h, Tqt.h); for tests and benchmarks.
//
// The detach trick is written as value.detach() + (surrogate - surrogate.detach()),
// so the forward is the quantized value bit for bit (the usual
// surrogate + (value - surrogate).detach() can be an ulp off), and the gradient is
// the surrogate's. The float operations of each forward are those of the fused
// kernel in the same order, so the fused forward matches bit for bit. Gradients:
// x's match exactly except LSQ's, where autograd computes (grad * s) / s, up to an
// ulp off the kernel's exact straight-through grad; the learned parameter's are
// sums taken in another order (the kernels sum in double over fixed blocks).
// Clip conventions at the thresholds (PACT's [low, alpha), LSQ's open interval,
// the closed intervals of the others) are written with where, not clamp: clamp's
// autograd at a threshold is a LibTorch convention that changed (1.13 passed the
// gradient there, 2.x passes none, or half for tensor bounds), where the
// algorithms define it.
#include <cstdint>
#include <optional>

#include <torch/types.h>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::ops::reference {

// x clipped to [lo, hi] with gradient 1 on the closed interval, ends included.
torch::Tensor clip_closed(const torch::Tensor& x, double lo, double hi);

torch::Tensor uniform_ste(const torch::Tensor& x, int64_t n_levels, double bound);

torch::Tensor pact(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits, Signedness signedness,
                   Rounding rounding = Rounding::Nearest);

torch::Tensor lsq(const torch::Tensor& x, const torch::Tensor& step, int64_t bits, Signedness signedness,
                  std::optional<double> grad_scale = std::nullopt);

torch::Tensor tqt(const torch::Tensor& x, const torch::Tensor& log2_t, int64_t bits, Signedness signedness);

}  // namespace quantlib::ops::reference

#pragma once
// Traces of the loss Hessian's diagonal blocks, one block per weight tensor,
// estimated with Hutchinson's method as HAWQ-V2 does (Dong et al. 2020):
// tr(H_ll) = E[v_l^T (H v)_l] for v with independent Rademacher (+-1)
// entries, H v computed by differentiating g^T v, g the gradient (Pearlmutter).
// All blocks share one H v per draw: the cross terms v_l^T H_lm v_m have
// expectation zero.
#include <cstdint>
#include <functional>
#include <vector>

#include <torch/types.h>

namespace quantlib::select {

// Per weight, the sum over `draws` Rademacher vectors and over the chunks of
// v^T H_chunk v, where H_chunk is the Hessian of chunk_loss(c), a scalar that
// builds its graph from `weights` (a chunk's loss summed over its samples).
// Divide by draws and by the number of samples for the trace of the mean
// loss's Hessian. Draw k's vectors come from seed + k alone, so ranks that
// split the samples draw the same vectors and their sums add up.
std::vector<double> hutchinson_trace_sums(const std::vector<torch::Tensor>& weights, int64_t chunks,
                                          const std::function<torch::Tensor(int64_t)>& chunk_loss, int64_t draws,
                                          uint64_t seed);

}  // namespace quantlib::select

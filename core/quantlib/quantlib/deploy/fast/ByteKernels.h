#pragma once
// The fast integer path's own loops over 8-bit activations, channels
// innermost ([N, C] or NCHW in channels-last memory): requantization into
// bytes, max and sum pooling. A byte b holds the integer value v = b - z, z
// the value's zero point; each loop gives exactly what the exact executor's
// node gives (IntegerNetwork.h), in this representation.
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlib::deploy::fast {

// An integer tensor, channels innermost: uint8 (v = b - zero_point), or
// float32 / int32 accumulators holding v itself (zero_point 0).
struct ChannelsInnermostValue {
  torch::Tensor data;
  int64_t zero_point = 0;
};

// [N, C, ...] with the channels varying fastest in memory: channels-last for
// NCHW, contiguous for [N, C].
torch::Tensor channels_innermost(const torch::Tensor& x);

// A Requant node (either form) into bytes with `output_zero_point`
// (v + output_zero_point must fit 0..255 for v in [node.lo, node.hi]).
torch::Tensor requant_to_bytes(const std::vector<ChannelsInnermostValue>& inputs, const IntegerNode& node,
                               int64_t output_zero_point);

// MaxPool2d on bytes (the zero point carries over: the maximum of b is the
// maximum of v). Padded positions never win.
torch::Tensor max_pool_bytes(const torch::Tensor& x, const IntegerNode& node);

// A MaxPool2d node over float32 accumulators, then the Requant node that
// reads them (one input, zero point 0) into bytes: the Requant before the
// pool, computed after it, which gives the same bytes when the
// requantization never decreases (multipliers >= 0).
torch::Tensor max_pool_requant_to_bytes(const torch::Tensor& accumulators, const IntegerNode& pool,
                                        const IntegerNode& requant, int64_t output_zero_point);

// SumPool2d on bytes: int32 sums of v over each window, padding counting as 0.
torch::Tensor sum_pool_bytes(const torch::Tensor& x, int64_t zero_point, const IntegerNode& node);

}  // namespace quantlib::deploy::fast

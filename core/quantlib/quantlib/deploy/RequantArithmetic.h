#pragma once
// The per-element arithmetic of a Requant node (IntegerNetwork.h), shared by
// the exact executor and the fast one so that both round the same way.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::deploy {

// R(t / 2^shift) for the node's rounding: floor, or nearest with ties to even.
class ShiftRounding {
 public:
  ShiftRounding(int64_t shift, ops::Rounding rounding)
      : shift_(shift),
        // 2^(shift-1) - 1, in unsigned arithmetic: at shift 63, 2^63 - 1 would overflow int64 on the way.
        below_half_(shift > 0 ? static_cast<int64_t>((std::uint64_t{1} << (shift - 1)) - 1) : 0),
        nearest_(shift > 0 && rounding == ops::Rounding::Nearest) {}

  // Nearest, ties to even, without a branch: floor((t + 2^(shift-1) - 1 + b) / 2^shift)
  // with b the lowest bit of floor(t / 2^shift). Below the tie the added
  // 2^(shift-1) - 1 + b stays short of the next multiple, above it reaches
  // it, and at the tie it reaches it exactly when floor(t / 2^shift) is odd.
  int64_t operator()(int64_t t) const {
    if (!nearest_) return t >> shift_;  // arithmetic: floor
    return (t + below_half_ + ((t >> shift_) & 1)) >> shift_;
  }

 private:
  int64_t shift_;
  int64_t below_half_;
  bool nearest_;
};

// The values of a per-channel (C) or per-tensor (1) int64 parameter, one per channel.
inline std::vector<int64_t> per_channel_values(const torch::Tensor& values, int64_t channels) {
  const torch::Tensor longs = values.to(torch::kLong).contiguous().expand({channels}).contiguous();
  return {longs.data_ptr<int64_t>(), longs.data_ptr<int64_t>() + channels};
}

}  // namespace quantlib::deploy

#pragma once
// How a per-channel weight op splits its tensor (internal): `count` slices
// along dim 0 of `size` elements each, or one slice of everything.
#include <cstdint>

#include <torch/types.h>

namespace quantlib::ops::detail {

struct Channels {
  int64_t count;
  int64_t size;
};

inline Channels channels_of(const torch::Tensor& w, bool per_channel) {
  const int64_t count = per_channel ? w.size(0) : 1;
  return {count, count == 0 ? 0 : w.numel() / count};
}

}  // namespace quantlib::ops::detail

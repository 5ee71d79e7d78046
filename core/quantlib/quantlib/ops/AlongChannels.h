#pragma once
// A per-channel (C elements) or per-tensor (1 element) parameter shaped to
// broadcast along dim 1 of a `rank`-dimensional tensor: how quantizers,
// learned activations, the integer executor and the ONNX lowering all lay
// their per-channel values over activations.
#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace quantlib {

inline torch::Tensor along_channels(const torch::Tensor& values, int64_t rank) {
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  if (values.numel() > 1) shape[1] = values.numel();
  return values.reshape(shape);
}

}  // namespace quantlib

#include "quantlib/nn/ZeroPadShortcut.h"

#include <torch/torch.h>

namespace quantlib::nn {

ZeroPadShortcutImpl::ZeroPadShortcutImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride)
    : in_channels_(in_channels), out_channels_(out_channels), stride_(stride) {
  TORCH_CHECK(out_channels >= in_channels && in_channels > 0 && stride >= 1,
              "ZeroPadShortcut: needs 0 < in_channels <= out_channels and stride >= 1");
}

torch::Tensor ZeroPadShortcutImpl::forward(const torch::Tensor& input) {
  TORCH_CHECK(input.dim() == 4 && input.size(1) == in_channels_, "ZeroPadShortcut: expected [N, ", in_channels_,
              ", H, W], got ", input.sizes());
  using torch::indexing::Slice;
  torch::Tensor x = stride_ == 1 ? input : input.index({Slice(), Slice(), Slice(0, torch::indexing::None, stride_),
                                                        Slice(0, torch::indexing::None, stride_)});
  const std::int64_t extra = out_channels_ - in_channels_;
  if (extra == 0) return x;
  // constant_pad_nd's pairs run from the last dimension back: W, H, then C.
  return torch::constant_pad_nd(x, {0, 0, 0, 0, extra / 2, extra - extra / 2}, 0.0);
}

}  // namespace quantlib::nn

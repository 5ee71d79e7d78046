#include "quantlib/nn/DownsampleShortcut.h"

#include <torch/torch.h>

namespace quantlib::nn {

DownsampleShortcutImpl::DownsampleShortcutImpl(std::int64_t in_channels, std::int64_t out_channels,
                                               std::int64_t stride)
    : in_channels_(in_channels), out_channels_(out_channels), stride_(stride) {
  TORCH_CHECK(in_channels > 0 && out_channels % in_channels == 0 && stride >= 1,
              "DownsampleShortcut: needs out_channels a multiple of in_channels > 0 and stride >= 1, got ",
              in_channels, " -> ", out_channels, " stride ", stride);
}

torch::Tensor DownsampleShortcutImpl::forward(const torch::Tensor& input) {
  TORCH_CHECK(input.dim() == 4 && input.size(1) == in_channels_, "DownsampleShortcut: expected [N, ", in_channels_,
              ", H, W], got ", input.sizes());
  torch::Tensor x = stride_ == 1 ? input : torch::avg_pool2d(input, {stride_, stride_}, {stride_, stride_});
  return out_channels_ == in_channels_ ? x : x.repeat({1, out_channels_ / in_channels_, 1, 1});
}

}  // namespace quantlib::nn

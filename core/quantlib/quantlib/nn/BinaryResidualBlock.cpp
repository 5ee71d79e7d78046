#include "quantlib/nn/BinaryResidualBlock.h"

#include <torch/torch.h>

#include "quantlib/nn/DownsampleShortcut.h"
#include "quantlib/nn/RPReLU.h"

namespace quantlib::nn {

BinaryResidualBlockImpl::BinaryResidualBlockImpl(std::int64_t in_channels, std::int64_t out_channels,
                                                 std::int64_t stride) {
  // No bias: the batch norm that follows has its own.
  add("conv", torch::nn::Conv2d(
                  torch::nn::Conv2dOptions(in_channels, out_channels, 3).stride(stride).padding(1).bias(false)));
  add("bn", torch::nn::BatchNorm2d(out_channels));
  if (stride == 1 && in_channels == out_channels)
    add("shortcut", torch::nn::Identity());
  else
    add("shortcut", DownsampleShortcut(in_channels, out_channels, stride));
  add("act", RPReLU(out_channels));
}

torch::Tensor BinaryResidualBlockImpl::forward(const torch::Tensor& input) {
  torch::Tensor x = call("conv", input);
  x = call("bn", x);
  return call("act", x + call("shortcut", input));
}

}  // namespace quantlib::nn

#include "Bottleneck.h"

#include <torch/torch.h>

#include "Layers.h"

namespace imagenet {

BottleneckImpl::BottleneckImpl(std::int64_t in_channels, std::int64_t channels, std::int64_t stride)
    : Block("Bottleneck"), downsample_(stride != 1 || in_channels != channels * kExpansion) {
  namespace nn = torch::nn;
  const std::int64_t out_channels = channels * kExpansion;
  add("conv1", nn::Conv2d(nn::Conv2dOptions(in_channels, channels, 1).bias(false)));
  add("bn1", nn::BatchNorm2d(channels));
  add("relu1", nn::ReLU());
  add("conv2", nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).stride(stride).padding(1).bias(false)));
  add("bn2", nn::BatchNorm2d(channels));
  add("relu2", nn::ReLU());
  add("conv3", nn::Conv2d(nn::Conv2dOptions(channels, out_channels, 1).bias(false)));
  add("bn3", nn::BatchNorm2d(out_channels));
  if (downsample_) add("downsample", make_downsample(in_channels, out_channels, stride));
  add("relu3", nn::ReLU());
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  const torch::Tensor identity = downsample_ ? call("downsample", x) : x;
  torch::Tensor out = call("relu1", call("bn1", call("conv1", x)));
  out = call("relu2", call("bn2", call("conv2", out)));
  out = call("bn3", call("conv3", out));
  return call("relu3", out + identity);
}

}  // namespace imagenet

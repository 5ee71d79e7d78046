#include "BasicBlock.h"

#include <torch/torch.h>

#include "Layers.h"

namespace imagenet {

BasicBlockImpl::BasicBlockImpl(std::int64_t in_channels, std::int64_t channels, std::int64_t stride)
    : Block("BasicBlock"), downsample_(stride != 1 || in_channels != channels * kExpansion) {
  namespace nn = torch::nn;
  add("conv1", nn::Conv2d(nn::Conv2dOptions(in_channels, channels, 3).stride(stride).padding(1).bias(false)));
  add("bn1", nn::BatchNorm2d(channels));
  add("relu1", nn::ReLU());
  add("conv2", nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1).bias(false)));
  add("bn2", nn::BatchNorm2d(channels));
  if (downsample_) add("downsample", make_downsample(in_channels, channels * kExpansion, stride));
  add("relu2", nn::ReLU());
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  const torch::Tensor identity = downsample_ ? call("downsample", x) : x;
  torch::Tensor out = call("relu1", call("bn1", call("conv1", x)));
  out = call("bn2", call("conv2", out));
  return call("relu2", out + identity);
}

}  // namespace imagenet

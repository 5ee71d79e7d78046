#pragma once
#include <cstdint>

#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "quantlib/nn/Block.h"

namespace imagenet {

// ResNet-50/101/152's residual block (torchvision's "v1.5": the stride sits
// on the 3x3 conv): 1x1 reduce to `channels`, 3x3, 1x1 expand to 4 x
// `channels`; out = relu3(bn3(conv3(...)) + identity), identity =
// downsample(x) or x. Layers conv1 bn1 relu1 conv2 bn2 relu2 conv3 bn3
// [downsample] relu3, each called by name.
class BottleneckImpl : public quantlib::nn::Block {
 public:
  static constexpr std::int64_t kExpansion = 4;
  BottleneckImpl(std::int64_t in_channels, std::int64_t channels, std::int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool downsample_;
};

TORCH_MODULE(Bottleneck);

}  // namespace imagenet

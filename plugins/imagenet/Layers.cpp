#include "Layers.h"

#include <torch/torch.h>

namespace imagenet {

quantlib::nn::Sequential make_downsample(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride) {
  namespace nn = torch::nn;
  quantlib::nn::Sequential shortcut;
  shortcut->push_back("0", nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels, 1).stride(stride).bias(false)));
  shortcut->push_back("1", nn::BatchNorm2d(out_channels));
  return shortcut;
}

void add_conv_bn_act(quantlib::nn::Block& block, const std::string& prefix, std::int64_t in_channels,
                     std::int64_t out_channels, std::int64_t kernel, std::int64_t stride, std::int64_t groups,
                     Activation activation) {
  namespace nn = torch::nn;
  block.add(prefix + "conv", nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels, kernel)
                                            .stride(stride)
                                            .padding(kernel / 2)
                                            .groups(groups)
                                            .bias(false)));
  block.add(prefix + "bn", nn::BatchNorm2d(out_channels));
  if (activation == Activation::relu6)
    block.add(prefix + "relu", nn::ReLU6());
  else
    block.add(prefix + "relu", nn::ReLU());
}

}  // namespace imagenet

#include "InvertedResidual.h"

#include <torch/torch.h>

#include "Layers.h"

namespace imagenet {

InvertedResidualImpl::InvertedResidualImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride,
                                           std::int64_t expand_ratio)
    : Block("InvertedResidual"), expand_(expand_ratio != 1), residual_(stride == 1 && in_channels == out_channels) {
  namespace nn = torch::nn;
  const std::int64_t hidden = in_channels * expand_ratio;
  if (expand_) add_conv_bn_act(*this, "expand_", in_channels, hidden, 1, 1, 1, Activation::relu6);
  add_conv_bn_act(*this, "dw_", hidden, hidden, 3, stride, hidden, Activation::relu6);
  add("project_conv", nn::Conv2d(nn::Conv2dOptions(hidden, out_channels, 1).bias(false)));
  add("project_bn", nn::BatchNorm2d(out_channels));
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = x;
  if (expand_) out = call("expand_relu", call("expand_bn", call("expand_conv", out)));
  out = call("dw_relu", call("dw_bn", call("dw_conv", out)));
  out = call("project_bn", call("project_conv", out));
  return residual_ ? out + x : out;
}

}  // namespace imagenet

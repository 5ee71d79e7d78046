#include "BasicBlock.h"

#include <torch/torch.h>

#include "quantlib/nn/ZeroPadShortcut.h"
#include "quantlib/nn/Sequential.h"

namespace cifar10 {
namespace {

torch::nn::Conv2d conv3x3(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride) {
  // No bias: the batch norm that follows has its own.
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in_channels, out_channels, 3).stride(stride).padding(1).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride,
                               Shortcut shortcut) {
  add("conv1", conv3x3(in_channels, out_channels, stride));
  add("bn1", torch::nn::BatchNorm2d(out_channels));
  add("relu1", torch::nn::ReLU());
  add("conv2", conv3x3(out_channels, out_channels, 1));
  add("bn2", torch::nn::BatchNorm2d(out_channels));
  if (stride == 1 && in_channels == out_channels) {
    add("shortcut", torch::nn::Identity());
  } else if (shortcut == Shortcut::A) {
    add("shortcut", quantlib::nn::ZeroPadShortcut(in_channels, out_channels, stride));
  } else {
    quantlib::nn::Sequential projection;
    projection->push_back(
        "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 1).stride(stride).bias(false)));
    projection->push_back("bn", torch::nn::BatchNorm2d(out_channels));
    add("shortcut", projection);
  }
  add("relu2", torch::nn::ReLU());
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& input) {
  torch::Tensor x = call("conv1", input);
  x = call("bn1", x);
  x = call("relu1", x);
  x = call("conv2", x);
  x = call("bn2", x);
  return call("relu2", x + call("shortcut", input));
}

}  // namespace cifar10

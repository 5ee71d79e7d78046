#include "ResNet.h"

#include <string>

#include <torch/torch.h>

#include "CifarBinary.h"

#include "quantlib/nn/Sequential.h"

namespace cifar10 {
namespace {
constexpr std::int64_t kStages = 3;
}  // namespace

ResNetOptions ResNetOptions::from(const quantlab::Params& params) {
  params.only({"depth", "shortcut", "width"});
  ResNetOptions options;
  options.depth = params.get("depth", options.depth);
  options.width = params.get("width", options.width);
  const std::string shortcut = params.get<std::string>("shortcut", "A");
  if (options.depth < 8 || (options.depth - 2) % 6 != 0)
    params.fail("depth", "6n + 2 with n >= 1 blocks per stage (20, 32, 44, 56, 110, ...)");
  if (options.width <= 0) params.fail("width", "a positive channel count for the first stage (16 in the paper)");
  if (shortcut == "A")
    options.shortcut = Shortcut::A;
  else if (shortcut == "B")
    options.shortcut = Shortcut::B;
  else
    params.fail("shortcut", "A (zero-padded identity) or B (1x1 convolution)");
  return options;
}

ResNet::ResNet(const ResNetOptions& options) {
  const std::int64_t blocks = (options.depth - 2) / 6;
  add("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, options.width, 3).padding(1).bias(false)));
  add("bn1", torch::nn::BatchNorm2d(options.width));
  add("relu1", torch::nn::ReLU());
  std::int64_t in_channels = options.width;
  for (std::int64_t stage = 0; stage < kStages; ++stage) {
    const std::int64_t out_channels = options.width << stage;
    quantlib::nn::Sequential layer;
    for (std::int64_t block = 0; block < blocks; ++block) {
      const std::int64_t stride = (stage > 0 && block == 0) ? 2 : 1;
      layer->push_back(std::to_string(block), BasicBlock(in_channels, out_channels, stride, options.shortcut));
      in_channels = out_channels;
    }
    add("layer" + std::to_string(stage + 1), layer);
  }
  add("pool", torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
  add("fc", torch::nn::Linear(in_channels, kClasses));

  // He initialisation for the convolutions, as the paper trains them.
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false))
    if (auto* conv = module->as<torch::nn::Conv2d>())
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor ResNet::forward(torch::Tensor input) {
  torch::Tensor x = call("conv1", input);
  x = call("bn1", x);
  x = call("relu1", x);
  for (std::int64_t stage = 1; stage <= kStages; ++stage) x = call("layer" + std::to_string(stage), x);
  x = call("pool", x).flatten(1);
  return call("fc", x);
}

}  // namespace cifar10

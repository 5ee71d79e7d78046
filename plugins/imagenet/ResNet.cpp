#include "ResNet.h"

#include <array>
#include <string>

#include <torch/torch.h>

#include "BasicBlock.h"
#include "Bottleneck.h"
#include "WeightInit.h"
#include "quantlib/nn/Sequential.h"

namespace imagenet {
namespace {

// Blocks per stage, by depth.
std::array<std::int64_t, 4> stage_blocks(std::int64_t depth) {
  switch (depth) {
    case 18: return {2, 2, 2, 2};
    case 34: return {3, 4, 6, 3};
    case 50: return {3, 4, 6, 3};
    case 101: return {3, 4, 23, 3};
    case 152: return {3, 8, 36, 3};
    default: return {0, 0, 0, 0};
  }
}

template <class BlockHolder>
quantlib::nn::Sequential make_stage(std::int64_t& in_channels, std::int64_t channels, std::int64_t blocks,
                                    std::int64_t stride) {
  quantlib::nn::Sequential stage;
  for (std::int64_t i = 0; i < blocks; ++i) {
    stage->push_back(std::to_string(i), BlockHolder(in_channels, channels, i == 0 ? stride : 1));
    in_channels = channels * BlockHolder::Impl::kExpansion;
  }
  return stage;
}

}  // namespace

ResNetOptions ResNetOptions::from(const quantlab::Params& params) {
  params.only({"depth", "classes", "width"});
  ResNetOptions options;
  options.depth = params.get("depth", options.depth);
  options.classes = params.get("classes", options.classes);
  options.width = params.get("width", options.width);
  if (stage_blocks(options.depth)[0] == 0) params.fail("depth", "one of 18, 34, 50, 101, 152");
  if (options.classes <= 0) params.fail("classes", "a positive number of classes");
  if (options.width <= 0) params.fail("width", "a positive channel width (64 is the standard)");
  return options;
}

ResNet::ResNet(const ResNetOptions& options) : Network("ResNet") {
  namespace nn = torch::nn;
  const bool bottleneck = options.depth >= 50;
  const auto blocks = stage_blocks(options.depth);
  std::int64_t channels = options.width;
  add("conv1", nn::Conv2d(nn::Conv2dOptions(3, channels, 7).stride(2).padding(3).bias(false)));
  add("bn1", nn::BatchNorm2d(channels));
  add("relu", nn::ReLU());
  add("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
  std::int64_t in_channels = channels;
  for (std::size_t stage = 0; stage < blocks.size(); ++stage) {
    const std::int64_t stride = stage == 0 ? 1 : 2;
    const std::string name = "layer" + std::to_string(stage + 1);
    if (bottleneck)
      add(name, make_stage<Bottleneck>(in_channels, channels, blocks[stage], stride));
    else
      add(name, make_stage<BasicBlock>(in_channels, channels, blocks[stage], stride));
    channels *= 2;
  }
  add("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));
  add("fc", nn::Linear(in_channels, options.classes));
  init_weights(*this, LinearInit::keep_default);
}

torch::Tensor ResNet::forward(torch::Tensor input) {
  torch::Tensor x = call("maxpool", call("relu", call("bn1", call("conv1", input))));
  for (const char* stage : {"layer1", "layer2", "layer3", "layer4"}) x = call(stage, x);
  return call("fc", call("avgpool", x).flatten(1));
}

}  // namespace imagenet

#include "MobileNetV1.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "Layers.h"
#include "WeightInit.h"
#include "quantlib/nn/Sequential.h"

namespace imagenet {
namespace {

// (output channels, stride) of the depthwise-separable blocks, from the paper's Table 1.
const std::vector<std::pair<std::int64_t, std::int64_t>> kBlocks{
    {64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
    {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};

std::int64_t scaled(std::int64_t channels, double width) {
  return std::max<std::int64_t>(8, static_cast<std::int64_t>(static_cast<double>(channels) * width));
}

}  // namespace

MobileNetV1Options MobileNetV1Options::from(const quantlab::Params& params) {
  params.only({"width", "classes"});
  MobileNetV1Options options;
  options.width = params.get("width", options.width);
  options.classes = params.get("classes", options.classes);
  if (!(options.width > 0.0)) params.fail("width", "a positive width multiplier (1.0 is the standard)");
  if (options.classes <= 0) params.fail("classes", "a positive number of classes");
  return options;
}

MobileNetV1::MobileNetV1(const MobileNetV1Options& options) : Network("MobileNetV1") {
  namespace nn = torch::nn;
  quantlib::nn::Sequential features;
  std::int64_t in_channels = scaled(32, options.width);
  quantlib::nn::Sequential stem;
  add_conv_bn_act(*stem, "", 3, in_channels, 3, 2, 1, Activation::relu);
  features->push_back("0", stem);
  for (std::size_t i = 0; i < kBlocks.size(); ++i) {
    const std::int64_t out_channels = scaled(kBlocks[i].first, options.width);
    quantlib::nn::Sequential block;
    add_conv_bn_act(*block, "dw_", in_channels, in_channels, 3, kBlocks[i].second, in_channels, Activation::relu);
    add_conv_bn_act(*block, "pw_", in_channels, out_channels, 1, 1, 1, Activation::relu);
    features->push_back(std::to_string(i + 1), block);
    in_channels = out_channels;
  }
  add("features", features);
  add("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));
  add("fc", nn::Linear(in_channels, options.classes));
  init_weights(*this, LinearInit::normal_001);
}

torch::Tensor MobileNetV1::forward(torch::Tensor input) {
  return call("fc", call("avgpool", call("features", input)).flatten(1));
}

}  // namespace imagenet

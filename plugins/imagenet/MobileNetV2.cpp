#include "MobileNetV2.h"

#include <algorithm>
#include <array>
#include <string>

#include <torch/torch.h>

#include "InvertedResidual.h"
#include "Layers.h"
#include "WeightInit.h"
#include "quantlib/nn/Sequential.h"

namespace imagenet {
namespace {

struct Stage {
  std::int64_t expand_ratio, channels, blocks, stride;
};
constexpr std::array<Stage, 7> kStages{{{1, 16, 1, 1},
                                        {6, 24, 2, 2},
                                        {6, 32, 3, 2},
                                        {6, 64, 4, 2},
                                        {6, 96, 3, 1},
                                        {6, 160, 3, 2},
                                        {6, 320, 1, 1}}};

// The nearest multiple of 8 (at least 8), rounded up by 8 more when rounding
// would lose more than 10%: the channel rule of the reference implementation.
std::int64_t divisible_by_8(double channels) {
  std::int64_t rounded = std::max<std::int64_t>(8, static_cast<std::int64_t>(channels + 4.0) / 8 * 8);
  if (static_cast<double>(rounded) < 0.9 * channels) rounded += 8;
  return rounded;
}

}  // namespace

MobileNetV2Options MobileNetV2Options::from(const quantlab::Params& params) {
  params.only({"width", "classes", "dropout"});
  MobileNetV2Options options;
  options.width = params.get("width", options.width);
  options.classes = params.get("classes", options.classes);
  options.dropout = params.get("dropout", options.dropout);
  if (!(options.width > 0.0)) params.fail("width", "a positive width multiplier (1.0 is the standard)");
  if (options.classes <= 0) params.fail("classes", "a positive number of classes");
  if (!(options.dropout >= 0.0 && options.dropout < 1.0)) params.fail("dropout", "a probability in [0, 1)");
  return options;
}

MobileNetV2::MobileNetV2(const MobileNetV2Options& options) : Network("MobileNetV2") {
  namespace nn = torch::nn;
  quantlib::nn::Sequential features;
  std::int64_t in_channels = divisible_by_8(32.0 * options.width);
  const std::int64_t last_channels = divisible_by_8(1280.0 * std::max(1.0, options.width));
  quantlib::nn::Sequential stem;
  add_conv_bn_act(*stem, "", 3, in_channels, 3, 2, 1, Activation::relu6);
  features->push_back("0", stem);
  int index = 1;
  for (const Stage& stage : kStages) {
    const std::int64_t out_channels = divisible_by_8(static_cast<double>(stage.channels) * options.width);
    for (std::int64_t i = 0; i < stage.blocks; ++i) {
      features->push_back(std::to_string(index++), InvertedResidual(in_channels, out_channels,
                                                                    i == 0 ? stage.stride : 1, stage.expand_ratio));
      in_channels = out_channels;
    }
  }
  quantlib::nn::Sequential head;
  add_conv_bn_act(*head, "", in_channels, last_channels, 1, 1, 1, Activation::relu6);
  features->push_back(std::to_string(index), head);
  add("features", features);
  add("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));
  add("dropout", nn::Dropout(options.dropout));
  add("fc", nn::Linear(last_channels, options.classes));
  init_weights(*this, LinearInit::normal_001);
}

torch::Tensor MobileNetV2::forward(torch::Tensor input) {
  torch::Tensor x = call("avgpool", call("features", input)).flatten(1);
  return call("fc", call("dropout", x));
}

}  // namespace imagenet

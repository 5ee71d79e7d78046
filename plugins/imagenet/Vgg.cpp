#include "Vgg.h"

#include <string>
#include <vector>

#include <torch/torch.h>

#include "WeightInit.h"
#include "quantlib/nn/Sequential.h"

namespace imagenet {
namespace {

constexpr std::int64_t kPool = 0;  // a 2x2 max-pool in a configuration

std::vector<std::int64_t> configuration(std::int64_t depth) {
  switch (depth) {
    case 11: return {64, kPool, 128, kPool, 256, 256, kPool, 512, 512, kPool, 512, 512, kPool};
    case 13: return {64, 64, kPool, 128, 128, kPool, 256, 256, kPool, 512, 512, kPool, 512, 512, kPool};
    case 16:
      return {64, 64, kPool, 128, 128, kPool, 256, 256, 256, kPool, 512, 512, 512, kPool, 512, 512, 512, kPool};
    case 19:
      return {64,  64,  kPool, 128, 128, kPool, 256, 256, 256, 256, kPool,
              512, 512, 512,   512, kPool, 512, 512, 512, 512, kPool};
    default: return {};
  }
}

}  // namespace

VggOptions VggOptions::from(const quantlab::Params& params) {
  params.only({"depth", "batch_norm", "classes", "dropout"});
  VggOptions options;
  options.depth = params.get("depth", options.depth);
  options.batch_norm = params.get("batch_norm", options.batch_norm);
  options.classes = params.get("classes", options.classes);
  options.dropout = params.get("dropout", options.dropout);
  if (configuration(options.depth).empty()) params.fail("depth", "one of 11, 13, 16, 19");
  if (options.classes <= 0) params.fail("classes", "a positive number of classes");
  if (!(options.dropout >= 0.0 && options.dropout < 1.0)) params.fail("dropout", "a probability in [0, 1)");
  return options;
}

Vgg::Vgg(const VggOptions& options) : Network("VGG") {
  namespace nn = torch::nn;
  quantlib::nn::Sequential features;
  int index = 0;
  const auto next = [&index] { return std::to_string(index++); };
  std::int64_t in_channels = 3;
  for (const std::int64_t channels : configuration(options.depth)) {
    if (channels == kPool) {
      features->push_back(next(), nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      continue;
    }
    features->push_back(next(), nn::Conv2d(nn::Conv2dOptions(in_channels, channels, 3).padding(1)));
    if (options.batch_norm) features->push_back(next(), nn::BatchNorm2d(channels));
    features->push_back(next(), nn::ReLU());
    in_channels = channels;
  }
  add("features", features);
  add("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({7, 7})));
  quantlib::nn::Sequential classifier;
  classifier->push_back("0", nn::Linear(in_channels * 7 * 7, 4096));
  classifier->push_back("1", nn::ReLU());
  classifier->push_back("2", nn::Dropout(options.dropout));
  classifier->push_back("3", nn::Linear(4096, 4096));
  classifier->push_back("4", nn::ReLU());
  classifier->push_back("5", nn::Dropout(options.dropout));
  classifier->push_back("6", nn::Linear(4096, options.classes));
  add("classifier", classifier);
  init_weights(*this, LinearInit::normal_001);
}

torch::Tensor Vgg::forward(torch::Tensor input) {
  return call("classifier", call("avgpool", call("features", input)).flatten(1));
}

}  // namespace imagenet

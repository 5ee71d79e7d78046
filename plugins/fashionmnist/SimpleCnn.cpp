#include "SimpleCnn.h"

#include <string>
#include <utility>

#include <torch/torch.h>

#include "FashionMnistProblem.h"

namespace fashionmnist {
SimpleCnnOptions SimpleCnnOptions::from(const quantlab::Params& params) {
  params.only({"channels", "hidden", "dropout"});
  SimpleCnnOptions options;
  options.channels = params.get("channels", options.channels);
  options.hidden = params.get("hidden", options.hidden);
  options.dropout = params.get("dropout", options.dropout);
  // Each block halves the image side: 28 -> 14 -> 7 -> 3.
  if (options.channels.empty() || options.channels.size() > 3)
    params.fail("channels", "a list of 1 to 3 positive channel widths, one per conv block");
  for (const auto width : options.channels)
    if (width <= 0) params.fail("channels", "a list of 1 to 3 positive channel widths");
  if (options.hidden <= 0) params.fail("hidden", "a positive classifier width");
  if (!(options.dropout >= 0.0 && options.dropout < 1.0))
    params.fail("dropout", "a probability in [0, 1)");
  return options;
}

SimpleCnn::SimpleCnn(const SimpleCnnOptions& options) : blocks_(options.channels.size()) {
  std::int64_t in_channels = 1;
  std::int64_t side = kImageSide;
  for (std::size_t i = 0; i < blocks_; ++i) {
    const std::int64_t out_channels = options.channels[i];
    const std::string block = std::to_string(i + 1);
    // No conv bias: the batch-norm that follows has its own.
    add("conv" + block,
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 3).padding(1).bias(false)));
    add("bn" + block, torch::nn::BatchNorm2d(out_channels));
    add("relu" + block, torch::nn::ReLU());
    add("pool" + block, torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    in_channels = out_channels;
    side /= 2;
  }
  add("dropout", torch::nn::Dropout(options.dropout));
  add("fc1", torch::nn::Linear(in_channels * side * side, options.hidden));
  add("relu" + std::to_string(blocks_ + 1), torch::nn::ReLU());
  add("fc2", torch::nn::Linear(options.hidden, kClasses));
}

torch::Tensor SimpleCnn::forward(torch::Tensor input) {
  torch::Tensor x = std::move(input);
  for (std::size_t i = 0; i < blocks_; ++i) {
    const std::string block = std::to_string(i + 1);
    x = call("conv" + block, x);
    x = call("bn" + block, x);
    x = call("relu" + block, x);
    x = call("pool" + block, x);
  }
  x = call("dropout", x.flatten(1));
  x = call("fc1", x);
  x = call("relu" + std::to_string(blocks_ + 1), x);
  x = call("dropout", x);
  return call("fc2", x);
}

}  // namespace fashionmnist

#include "SimpleCnn.h"

#include <string>

#include <torch/torch.h>

namespace fashionmnist {
namespace {
constexpr std::int64_t kImageSide = 28;
constexpr std::int64_t kClasses = 10;
}  // namespace

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

SimpleCnn::SimpleCnn(const SimpleCnnOptions& options) {
  std::int64_t in_channels = 1;
  std::int64_t side = kImageSide;
  for (size_t i = 0; i < options.channels.size(); ++i) {
    const std::int64_t out_channels = options.channels[i];
    const std::string block = std::to_string(i + 1);
    // No conv bias: the batch-norm that follows has its own.
    convs_.push_back(register_module(
        "conv" + block,
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 3).padding(1).bias(false))));
    norms_.push_back(register_module("bn" + block, torch::nn::BatchNorm2d(out_channels)));
    in_channels = out_channels;
    side /= 2;
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  hidden_ = register_module("fc1", torch::nn::Linear(in_channels * side * side, options.hidden));
  classifier_ = register_module("fc2", torch::nn::Linear(options.hidden, kClasses));
}

torch::Tensor SimpleCnn::forward(torch::Tensor input) {
  torch::Tensor x = std::move(input);
  for (size_t i = 0; i < convs_.size(); ++i)
    x = torch::max_pool2d(torch::relu(norms_[i]->forward(convs_[i]->forward(x))), 2);
  x = dropout_->forward(x.flatten(1));
  x = dropout_->forward(torch::relu(hidden_->forward(x)));
  return classifier_->forward(x);
}

}  // namespace fashionmnist

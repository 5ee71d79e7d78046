#include "Vgg.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "CifarBinary.h"

namespace cifar10 {
namespace {

constexpr std::int64_t kHidden = 1024;
constexpr std::int64_t kPool = 0;  // a max-pool in a layer list

std::vector<std::int64_t> feature_list(std::int64_t variant) {
  if (variant == 9) return {128, 128, kPool, 256, 256, kPool, 512, 512, kPool};
  return {128, kPool, 256, 256, kPool, 512, 512, kPool};
}

}  // namespace

VggOptions VggOptions::from(const quantlab::Params& params) {
  params.only({"variant", "width"});
  VggOptions options;
  options.variant = params.get("variant", options.variant);
  options.width = params.get("width", options.width);
  if (options.variant != 8 && options.variant != 9) params.fail("variant", "8 or 9");
  if (!(options.width > 0.0 && options.width <= 16.0)) params.fail("width", "a channel multiplier in (0, 16]");
  return options;
}

Vgg::Vgg(const VggOptions& options) {
  const auto scaled = [&](std::int64_t channels) {
    return std::max<std::int64_t>(1, std::llround(static_cast<double>(channels) * options.width));
  };
  std::int64_t in_channels = 3, side = 32, weight_layer = 0, conv = 0, pool = 0;
  for (const std::int64_t entry : feature_list(options.variant)) {
    if (entry == kPool) {
      order_.push_back("pool" + std::to_string(++pool));
      add(order_.back(), torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
      side /= 2;
      continue;
    }
    const std::int64_t out_channels = scaled(entry);
    const std::string j = std::to_string(++weight_layer);
    order_.insert(order_.end(), {"conv" + std::to_string(++conv), "bn" + j, "relu" + j});
    // No conv bias: the batch norm that follows has its own.
    add(order_[order_.size() - 3],
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, 3).padding(1).bias(false)));
    add("bn" + j, torch::nn::BatchNorm2d(out_channels));
    add("relu" + j, torch::nn::ReLU());
    in_channels = out_channels;
  }
  std::int64_t features = in_channels * side * side;
  const std::int64_t hidden = scaled(kHidden);
  for (int fc = 1; fc <= 2; ++fc) {
    const std::string j = std::to_string(++weight_layer);
    order_.insert(order_.end(), {"fc" + std::to_string(fc), "bn" + j, "relu" + j});
    add(order_[order_.size() - 3], torch::nn::Linear(torch::nn::LinearOptions(features, hidden).bias(false)));
    add("bn" + j, torch::nn::BatchNorm1d(hidden));
    add("relu" + j, torch::nn::ReLU());
    features = hidden;
  }
  order_.push_back("fc3");
  add("fc3", torch::nn::Linear(features, kClasses));

  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false))
    if (auto* layer = module->as<torch::nn::Conv2d>())
      torch::nn::init::kaiming_normal_(layer->weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor Vgg::forward(torch::Tensor input) {
  torch::Tensor x = std::move(input);
  for (const auto& name : order_) {
    if (name == "fc1") x = x.flatten(1);
    x = call(name, x);
  }
  return x;
}

}  // namespace cifar10

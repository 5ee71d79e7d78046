#include "Mlp.h"

#include <string>

#include <torch/torch.h>

#include "FashionMnistProblem.h"

namespace fashionmnist {
namespace {
constexpr std::int64_t kPixels = kImageSide * kImageSide;
}  // namespace

MlpOptions MlpOptions::from(const quantlab::Params& params) {
  params.only({"hidden", "dropout"});
  MlpOptions options;
  options.hidden = params.get("hidden", options.hidden);
  options.dropout = params.get("dropout", options.dropout);
  for (const auto width : options.hidden)
    if (width <= 0) params.fail("hidden", "a list of positive layer widths");
  if (!(options.dropout >= 0.0 && options.dropout < 1.0))
    params.fail("dropout", "a probability in [0, 1)");
  return options;
}

Mlp::Mlp(const MlpOptions& options) : hidden_layers_(options.hidden.size()) {
  std::int64_t in_features = kPixels;
  add("dropout", torch::nn::Dropout(options.dropout));
  for (std::size_t i = 0; i < hidden_layers_; ++i) {
    const std::string layer = std::to_string(i + 1);
    add("fc" + layer, torch::nn::Linear(in_features, options.hidden[i]));
    add("relu" + layer, torch::nn::ReLU());
    in_features = options.hidden[i];
  }
  add("fc" + std::to_string(hidden_layers_ + 1), torch::nn::Linear(in_features, kClasses));
}

torch::Tensor Mlp::forward(torch::Tensor input) {
  torch::Tensor x = input.flatten(1);
  for (std::size_t i = 0; i < hidden_layers_; ++i) {
    const std::string layer = std::to_string(i + 1);
    x = call("dropout", call("relu" + layer, call("fc" + layer, x)));
  }
  return call("fc" + std::to_string(hidden_layers_ + 1), x);
}

}  // namespace fashionmnist

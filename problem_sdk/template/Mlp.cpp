#include "Mlp.h"

#include <string>

#include <torch/torch.h>

namespace @namespace@ {

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

Mlp::Mlp(const MlpOptions& options, std::int64_t in_features, std::int64_t classes) {
  for (size_t i = 0; i < options.hidden.size(); ++i) {
    hidden_.push_back(register_module("fc" + std::to_string(i + 1),
                                      torch::nn::Linear(in_features, options.hidden[i])));
    in_features = options.hidden[i];
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  classifier_ = register_module("fc" + std::to_string(options.hidden.size() + 1),
                                torch::nn::Linear(in_features, classes));
}

torch::Tensor Mlp::forward(torch::Tensor input) {
  torch::Tensor x = input.flatten(1);
  for (auto& layer : hidden_) x = dropout_->forward(torch::relu(layer->forward(x)));
  return classifier_->forward(x);
}

}  // namespace @namespace@

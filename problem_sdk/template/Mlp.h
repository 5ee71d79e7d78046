#pragma once
#include <cstdint>
#include <vector>

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace @namespace@ {

struct MlpOptions {
  std::vector<std::int64_t> hidden{64};  // one hidden layer per entry
  double dropout = 0.0;

  // Reads network.params {hidden, dropout}; refuses other keys.
  static MlpOptions from(const quantlab::Params& params);
};

// Per hidden width linear -> ReLU -> dropout, then a linear layer to the
// class logits. Input [N, in_features], output [N, classes]. REPLACE or add
// networks of your own, one class each, and a topology for each in
// @Problem@Problem::topologies().
class Mlp : public quantlab::Network {
 public:
  Mlp(const MlpOptions& options, std::int64_t in_features, std::int64_t classes);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  std::vector<torch::nn::Linear> hidden_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace @namespace@

#pragma once
#include <cstdint>
#include <vector>

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace fashionmnist {

struct MlpOptions {
  std::vector<std::int64_t> hidden{512, 256};  // one hidden layer per entry
  double dropout = 0.2;

  // Reads network.params {hidden, dropout}; refuses other keys.
  static MlpOptions from(const quantlab::Params& params);
};

// Flatten, then per hidden width linear -> ReLU -> dropout, then a linear
// layer to 10 logits. Input [N, 1, 28, 28], output [N, 10].
class Mlp : public quantlab::Network {
 public:
  explicit Mlp(const MlpOptions& options);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  std::vector<torch::nn::Linear> hidden_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace fashionmnist

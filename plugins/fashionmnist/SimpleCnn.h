#pragma once
#include <cstdint>
#include <vector>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace fashionmnist {

struct SimpleCnnOptions {
  std::vector<std::int64_t> channels{32, 64};  // one conv block per entry
  std::int64_t hidden = 256;                   // classifier width
  double dropout = 0.25;

  // Reads network.params {channels, hidden, dropout}; refuses other keys.
  static SimpleCnnOptions from(const quantlab::Params& params);
};

// Conv blocks (conv3x3 -> batch-norm -> ReLU -> 2x2 max-pool), then
// dropout -> linear -> ReLU -> dropout -> linear to 10 logits.
// Input [N, 1, 28, 28], output [N, 10].
class SimpleCnn : public quantlab::Network {
 public:
  explicit SimpleCnn(const SimpleCnnOptions& options);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> norms_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace fashionmnist

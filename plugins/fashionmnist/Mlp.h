#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

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
// Every layer is a named layer of the Block, called by name, so recipes can
// edit it: fc<i> and relu<i> per hidden layer, one "dropout" module applied
// after each ReLU, then the last fc.
class Mlp : public quantlab::Network {
 public:
  explicit Mlp(const MlpOptions& options);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  std::size_t hidden_layers_;
};

}  // namespace fashionmnist

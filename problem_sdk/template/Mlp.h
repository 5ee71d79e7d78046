#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

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
// class logits. Input [N, in_features], output [N, classes].
// Every layer is a named layer of the Block, called by name, so recipes can
// edit it: fc<i> and relu<i> per hidden layer, one "dropout" module applied
// after each ReLU, then the last fc. REPLACE or add networks of your own, one
// class each, built the same way, and a topology for each in
// @Problem@Problem::topologies().
class Mlp : public quantlab::Network {
 public:
  Mlp(const MlpOptions& options, std::int64_t in_features, std::int64_t classes);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  std::size_t hidden_layers_;
};

}  // namespace @namespace@

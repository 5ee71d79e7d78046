#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

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
// Input [N, 1, 28, 28], output [N, 10]. Every layer is a named layer of the
// Block, called by name, so recipes can edit it: per conv block i conv<i>,
// bn<i>, relu<i>, pool<i>; then dropout (used at both places), fc1,
// relu<blocks + 1>, fc2.
class SimpleCnn : public quantlab::Network {
 public:
  explicit SimpleCnn(const SimpleCnnOptions& options);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  std::size_t blocks_;
};

}  // namespace fashionmnist

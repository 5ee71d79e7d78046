#pragma once
#include <torch/types.h>

#include "quantlib/nn/Block.h"

namespace quantlab {

// The network a topology builds: a Block with a single-tensor forward. Build
// it from named layers (add) and call them by name (call) in forward, so that
// quantization recipes can edit it (see quantlib/graph/Graph.h).
class Network : public quantlib::nn::Block {
 public:
  using quantlib::nn::Block::Block;
  virtual torch::Tensor forward(torch::Tensor input) = 0;
};

}  // namespace quantlab

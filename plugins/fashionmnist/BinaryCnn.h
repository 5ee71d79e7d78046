#pragma once
#include <cstdint>
#include <vector>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace fashionmnist {

struct BinaryCnnOptions {
  std::int64_t stem = 48;                       // width of the first convolution
  std::vector<std::int64_t> channels{48, 96};   // one stage per entry, each halving the image side
  std::int64_t blocks = 2;                    // residual blocks per stage
  double dropout = 0.2;

  // Reads network.params {stem, channels, blocks, dropout}; refuses other keys.
  static BinaryCnnOptions from(const quantlab::Params& params);
};

// A small binary-ready residual network (Bi-Real Net / ReActNet style) from
// quantlib's binary building blocks: conv1 (3x3) -> bn1, then per stage
// `blocks` quantlib::nn::BinaryResidualBlocks (the first with stride 2 and
// the stage's width, its shortcut an average pool with channels repeated),
// then dropout -> fc to 10 logits on the flattened features.
// Input [N, 1, 28, 28], output [N, 10]. Layers: conv1, bn1, layer<s> (a
// quantlib Sequential of blocks "0", "1", ..., each with conv, bn, shortcut,
// act), dropout, fc. In fp32 every block is a real residual block with an
// RPReLU; BinaryCNN.binary-w1a1.yaml makes each block's conv binary.
class BinaryCnn : public quantlab::Network {
 public:
  explicit BinaryCnn(const BinaryCnnOptions& options);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  std::size_t stages_;
};

}  // namespace fashionmnist

#pragma once
#include <cstdint>

#include "BasicBlock.h"
#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace cifar10 {

struct ResNetOptions {
  std::int64_t depth = 20;           // 6n + 2: 20, 32, 44, 56, 110, ...
  Shortcut shortcut = Shortcut::A;   // the paper's choice for its CIFAR-10 networks
  std::int64_t width = 16;           // channels of the first stage; the others double it twice

  // Reads network.params {depth, shortcut: A | B, width}; refuses other keys.
  static ResNetOptions from(const quantlab::Params& params);
};

// The CIFAR-10 ResNets of He et al. 2016 (section 4.2): a 3x3 conv to 16
// channels, three stages of n = (depth - 2) / 6 basic blocks at 16, 32 and 64
// channels on 32x32, 16x16 and 8x8 maps (the first block of stages 2 and 3
// strides by 2), global average pooling and a linear layer to 10 logits.
// depth 20, 32, 44, 56, 110 have 0.27M, 0.46M, 0.66M, 0.85M, 1.7M parameters
// (the paper's table 6, option A). Input [N, 3, 32, 32], output [N, 10].
// Named layers, called by name: conv1, bn1, relu1, layer1, layer2, layer3
// (quantlib Sequentials of BasicBlocks "0" .. "n-1", so a block's layers are
// e.g. layer2.0.conv1, layer2.0.shortcut.conv with option B), pool, fc.
class ResNet : public quantlab::Network {
 public:
  explicit ResNet(const ResNetOptions& options);
  torch::Tensor forward(torch::Tensor input) override;
};

}  // namespace cifar10

#pragma once
#include <cstdint>
#include <string>

#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "quantlib/nn/Block.h"

namespace cifar10 {

// How a residual block's shortcut matches a change of shape (He et al. 2016):
// A, zero-padded identity (parameter-free); B, a 1x1 convolution (with batch
// norm) where the shape changes, identity elsewhere.
enum class Shortcut { A, B };

// The basic residual block of the CIFAR ResNets: 3x3 conv -> batch norm ->
// ReLU -> 3x3 conv -> batch norm, plus the shortcut, then a ReLU. A Block of
// named layers called by name, so recipes see every one of them:
// conv1, bn1, relu1, conv2, bn2, shortcut, relu2. The shortcut is
// torch::nn::Identity when the shape stays, else a ZeroPadShortcut (A) or a
// Sequential of conv (1x1, strided) and bn (B). forward is
// relu2(bn2(conv2(relu1(bn1(conv1(x))))) + shortcut(x)).
class BasicBlockImpl : public quantlib::nn::Block {
 public:
  BasicBlockImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride, Shortcut shortcut);
  torch::Tensor forward(const torch::Tensor& input);
};

TORCH_MODULE(BasicBlock);

}  // namespace cifar10

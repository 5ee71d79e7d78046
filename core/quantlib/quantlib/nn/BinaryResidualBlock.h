#pragma once
#include <cstdint>

#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "quantlib/nn/Block.h"

namespace quantlib::nn {

// The residual block of binary networks (Bi-Real Net, ReActNet): one 3x3
// convolution with batch norm, a real-valued shortcut around it, then an
// RPReLU:  act(bn(conv(x)) + shortcut(x)).
// A Block of layers called by name: conv, bn, shortcut, act. The shortcut is
// torch::nn::Identity where the shape stays, else a DownsampleShortcut
// (average pool, channels repeated). In fp32 it is a plain residual block; a
// recipe makes its conv binary (`input: {algorithm: rsign}`, `weight:
// {algorithm: binary, per_channel: true}`: sign(x - b) convolved with
// sign(W) * mean|W| per output channel), the shortcut staying real-valued.
class BinaryResidualBlockImpl : public Block {
 public:
  BinaryResidualBlockImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride);
  torch::Tensor forward(const torch::Tensor& input);
};

TORCH_MODULE(BinaryResidualBlock);

}  // namespace quantlib::nn

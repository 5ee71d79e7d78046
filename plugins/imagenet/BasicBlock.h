#pragma once
#include <cstdint>

#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "quantlib/nn/Block.h"

namespace imagenet {

// ResNet-18/34's residual block: two 3x3 convs, out = relu2(bn2(conv2(
// relu1(bn1(conv1(x))))) + identity), identity = downsample(x) (a 1x1 conv
// and batch-norm, when the stride or the width changes) or x. Every layer is
// called by name so recipes can edit it; relu2 after the sum is a layer too,
// so its output can be quantized like any other ReLU's.
class BasicBlockImpl : public quantlib::nn::Block {
 public:
  static constexpr std::int64_t kExpansion = 1;
  BasicBlockImpl(std::int64_t in_channels, std::int64_t channels, std::int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool downsample_;
};

TORCH_MODULE(BasicBlock);

}  // namespace imagenet

#pragma once
#include <cstdint>

#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "quantlib/nn/Block.h"

namespace imagenet {

// MobileNetV2's block: 1x1 expansion to in_channels * expand_ratio (left out
// when the ratio is 1), 3x3 depthwise conv with the stride, each followed by
// batch-norm and ReLU6, then a linear 1x1 projection and batch-norm; the input
// is added back when the stride is 1 and the width does not change. Layers
// expand_{conv,bn,relu}, dw_{conv,bn,relu}, project_{conv,bn}, called by name.
class InvertedResidualImpl : public quantlib::nn::Block {
 public:
  InvertedResidualImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride,
                       std::int64_t expand_ratio);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool expand_;
  bool residual_;
};

TORCH_MODULE(InvertedResidual);

}  // namespace imagenet

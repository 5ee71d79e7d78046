#pragma once
// A 2-d convolution with quantizer slots: y = out_q(conv(in_q(x)) with weight w_q(W)).
// It wraps a plain torch::nn::Conv2d (child "conv", keeping its weights and its
// options, padding mode included), and the slots "input_quantizer",
// "weight_quantizer" and "output_quantizer"; an empty slot is the identity, so
// with all slots empty this is the plain layer.
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "quantlib/nn/QuantizedLayer.h"

namespace quantlib::nn {

class QuantConv2dImpl : public QuantizedLayer {
 public:
  // Wraps this very module: graph editing swaps a Conv2d for its twin, weights kept.
  explicit QuantConv2dImpl(torch::nn::Conv2d conv);
  explicit QuantConv2dImpl(const torch::nn::Conv2dOptions& options);

  torch::Tensor forward(const torch::Tensor& x);

  const torch::nn::Conv2d& conv() const { return conv_; }

 private:
  torch::nn::Conv2d conv_;
};

TORCH_MODULE(QuantConv2d);

}  // namespace quantlib::nn

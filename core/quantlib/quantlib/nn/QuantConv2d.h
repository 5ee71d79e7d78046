#pragma once
// The quantized twin of a 2-d convolution: y = conv(x) with weight w_q(W).
// It wraps a plain torch::nn::Conv2d (child "conv", keeping its parameter
// tensors and its options, padding mode included) and the slot
// "weight_quantizer"; with the slot empty this is the plain layer.
#include <memory>

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
  std::shared_ptr<torch::nn::Module> original() const override { return conv_.ptr(); }

 private:
  torch::nn::Conv2d conv_;
};

TORCH_MODULE(QuantConv2d);

}  // namespace quantlib::nn

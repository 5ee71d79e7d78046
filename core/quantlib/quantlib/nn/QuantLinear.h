#pragma once
// The quantized twin of a linear layer: y = linear(x) with weight w_q(W).
// It wraps a plain torch::nn::Linear (child "linear", keeping its parameter
// tensors) and the slot "weight_quantizer"; with the slot empty this is the
// plain layer.
#include <memory>

#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "quantlib/nn/QuantizedLayer.h"

namespace quantlib::nn {

class QuantLinearImpl : public QuantizedLayer {
 public:
  // Wraps this very module: graph editing swaps a Linear for its twin, weights kept.
  explicit QuantLinearImpl(torch::nn::Linear linear);
  explicit QuantLinearImpl(const torch::nn::LinearOptions& options);

  torch::Tensor forward(const torch::Tensor& x);

  const torch::nn::Linear& linear() const { return linear_; }
  std::shared_ptr<torch::nn::Module> original() const override { return linear_.ptr(); }

 private:
  torch::nn::Linear linear_;
};

TORCH_MODULE(QuantLinear);

}  // namespace quantlib::nn

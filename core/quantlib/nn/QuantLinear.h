#pragma once
// A linear layer with quantizer slots: y = out_q(linear(in_q(x)) with weight w_q(W)).
// It wraps a plain torch::nn::Linear (child "linear", keeping its weights), and
// the slots "input_quantizer", "weight_quantizer" and "output_quantizer"; an empty
// slot is the identity, so with all slots empty this is the plain layer.
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

 private:
  torch::nn::Linear linear_;
};

TORCH_MODULE(QuantLinear);

}  // namespace quantlib::nn

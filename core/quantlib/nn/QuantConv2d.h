#pragma once
// A 2-d convolution with quantizer slots: y = out_q(conv(in_q(x)) with weight w_q(W)).
// It wraps a plain torch::nn::Conv2d (child "conv", keeping its weights and its
// options, padding mode included), and the slots "input_quantizer",
// "weight_quantizer" and "output_quantizer"; an empty slot is the identity, so
// with all slots empty this is the plain layer.
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "quantlib/nn/Quantizer.h"
#include "quantlib/nn/QuantizerSlot.h"

namespace quantlib::nn {

class QuantConv2dImpl : public torch::nn::Module {
 public:
  // Wraps this very module: graph editing swaps a Conv2d for its twin, weights kept.
  explicit QuantConv2dImpl(torch::nn::Conv2d conv);
  explicit QuantConv2dImpl(const torch::nn::Conv2dOptions& options);

  torch::Tensor forward(const torch::Tensor& x);

  // nullptr empties a slot.
  void set_input_quantizer(std::shared_ptr<Quantizer> quantizer) { input_slot_.fill(std::move(quantizer)); }
  void set_weight_quantizer(std::shared_ptr<Quantizer> quantizer) { weight_slot_.fill(std::move(quantizer)); }
  void set_output_quantizer(std::shared_ptr<Quantizer> quantizer) { output_slot_.fill(std::move(quantizer)); }
  const std::shared_ptr<Quantizer>& input_quantizer() const { return input_slot_.quantizer(); }
  const std::shared_ptr<Quantizer>& weight_quantizer() const { return weight_slot_.quantizer(); }
  const std::shared_ptr<Quantizer>& output_quantizer() const { return output_slot_.quantizer(); }

  const torch::nn::Conv2d& conv() const { return conv_; }

 private:
  torch::nn::Conv2d conv_;
  QuantizerSlot input_slot_{*this, "input_quantizer"};
  QuantizerSlot weight_slot_{*this, "weight_quantizer"};
  QuantizerSlot output_slot_{*this, "output_quantizer"};
};

TORCH_MODULE(QuantConv2d);

}  // namespace quantlib::nn

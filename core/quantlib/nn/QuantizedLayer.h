#pragma once
// What every layer with quantizer slots shares: the slots "input_quantizer",
// "weight_quantizer" and "output_quantizer" a recipe fills, so the layer
// computes out_q(layer(in_q(x)) with weight w_q(W)). An empty slot is the
// identity. Recipes find quantizable layers by this type.
#include <memory>
#include <string>

#include <torch/nn/module.h>

#include "quantlib/nn/Quantizer.h"
#include "quantlib/nn/QuantizerSlot.h"

namespace quantlib::nn {

class QuantizedLayer : public torch::nn::Module {
 public:
  // nullptr empties a slot.
  void set_input_quantizer(std::shared_ptr<Quantizer> quantizer) { input_slot_.fill(std::move(quantizer)); }
  void set_weight_quantizer(std::shared_ptr<Quantizer> quantizer) { weight_slot_.fill(std::move(quantizer)); }
  void set_output_quantizer(std::shared_ptr<Quantizer> quantizer) { output_slot_.fill(std::move(quantizer)); }
  const std::shared_ptr<Quantizer>& input_quantizer() const { return input_slot_.quantizer(); }
  const std::shared_ptr<Quantizer>& weight_quantizer() const { return weight_slot_.quantizer(); }
  const std::shared_ptr<Quantizer>& output_quantizer() const { return output_slot_.quantizer(); }

 protected:
  explicit QuantizedLayer(const std::string& name) : torch::nn::Module(name) {}

  QuantizerSlot input_slot_{*this, "input_quantizer"};
  QuantizerSlot weight_slot_{*this, "weight_quantizer"};
  QuantizerSlot output_slot_{*this, "output_quantizer"};
};

}  // namespace quantlib::nn

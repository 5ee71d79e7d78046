#pragma once
// What the quantized twins of plain layers share (QuantConv2d for Conv2d,
// QuantLinear for Linear): they wrap the plain layer, its very parameter
// tensors kept, and carry ONE slot, "weight_quantizer", that a recipe fills, so
// the twin computes layer(x) with weight w_q(W). An empty slot is the identity.
// Activation quantizers before or after a layer are not the twin's business:
// the Block that calls the layer holds them (see Block.h).
#include <memory>
#include <string>

#include <torch/nn/module.h>

#include "quantlib/nn/Quantizer.h"
#include "quantlib/nn/QuantizerSlot.h"

namespace quantlib::nn {

class QuantizedLayer : public torch::nn::Module {
 public:
  // nullptr empties the slot.
  void set_weight_quantizer(std::shared_ptr<Quantizer> quantizer) { weight_slot_.fill(std::move(quantizer)); }
  const std::shared_ptr<Quantizer>& weight_quantizer() const { return weight_slot_.quantizer(); }

  // The plain layer this twin wraps; graph editing lets the twin answer to its
  // type and folds batch-norm into it.
  virtual std::shared_ptr<torch::nn::Module> original() const = 0;

 protected:
  explicit QuantizedLayer(const std::string& name) : torch::nn::Module(name) {}

  QuantizerSlot weight_slot_{*this, "weight_quantizer"};
};

}  // namespace quantlib::nn

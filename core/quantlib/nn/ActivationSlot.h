#pragma once
// Where a network's activations should be quantizable (e.g. after a ReLU): the
// identity until a recipe puts a quantizer in its slot "quantizer". Networks
// place it as an ordinary module (also inside a Sequential); filling the slot
// later changes what that very module computes.
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "quantlib/nn/Quantizer.h"
#include "quantlib/nn/QuantizerSlot.h"

namespace quantlib::nn {

class ActivationSlotImpl : public torch::nn::Module {
 public:
  ActivationSlotImpl();

  torch::Tensor forward(const torch::Tensor& x) { return slot_.apply(x); }

  // nullptr empties the slot.
  void set_quantizer(std::shared_ptr<Quantizer> quantizer) { slot_.fill(std::move(quantizer)); }
  const std::shared_ptr<Quantizer>& quantizer() const { return slot_.quantizer(); }

 private:
  QuantizerSlot slot_{*this, "quantizer"};
};

TORCH_MODULE(ActivationSlot);

}  // namespace quantlib::nn

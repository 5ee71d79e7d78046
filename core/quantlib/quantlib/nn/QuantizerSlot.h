#pragma once
// A place in a layer where a recipe puts a quantizer. LibTorch's replace_module
// only swaps the parent's registry entry while typed handles keep calling the old
// module, so a layer never calls a registered child through the registry: it
// calls the slot, and filling the slot also keeps the registry in step (the
// quantizer is the owner's child under the slot's name, so its parameters train,
// are listed by named_parameters and travel in checkpoints).
//
// An empty slot is the identity. A slot belongs to one owner module for the
// owner's lifetime, hence not copyable.
#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "quantlib/nn/Quantizer.h"

namespace quantlib::nn {

class QuantizerSlot {
 public:
  QuantizerSlot(torch::nn::Module& owner, std::string name);
  QuantizerSlot(const QuantizerSlot&) = delete;
  QuantizerSlot& operator=(const QuantizerSlot&) = delete;

  // nullptr empties the slot and unregisters the child.
  void fill(std::shared_ptr<Quantizer> quantizer);
  const std::shared_ptr<Quantizer>& quantizer() const { return quantizer_; }
  bool empty() const { return quantizer_ == nullptr; }
  const std::string& name() const { return name_; }

  torch::Tensor apply(const torch::Tensor& x) const { return quantizer_ ? quantizer_->forward(x) : x; }

 private:
  torch::nn::Module& owner_;
  std::string name_;
  std::shared_ptr<Quantizer> quantizer_;
};

}  // namespace quantlib::nn

#include "quantlib/nn/QuantizerSlot.h"

#include <utility>

namespace quantlib::nn {

QuantizerSlot::QuantizerSlot(torch::nn::Module& owner, std::string name) : owner_(owner), name_(std::move(name)) {}

void QuantizerSlot::fill(std::shared_ptr<Quantizer> quantizer) {
  const bool registered = owner_.named_children().contains(name_);
  // A child of that name that is not our quantizer means the owner registered
  // something under a slot's name: a bug in the owner.
  TORCH_INTERNAL_ASSERT(registered == (quantizer_ != nullptr), "slot ", name_, " out of step with its owner");
  if (quantizer) {
    if (registered)
      owner_.replace_module(name_, quantizer);
    else
      owner_.register_module(name_, quantizer);
  } else if (registered) {
    owner_.unregister_module(name_);
  }
  quantizer_ = std::move(quantizer);
}

}  // namespace quantlib::nn

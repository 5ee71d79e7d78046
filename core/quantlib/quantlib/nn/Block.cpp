#include "quantlib/nn/Block.h"

#include <utility>

namespace quantlib::nn {

namespace {

// One pointer per thread: a Block's call tests it and, with no observer, does
// nothing more. Defined here, in libquantlib, so the host and every plugin see
// the same variable.
thread_local LayerObserver* current_observer = nullptr;

}  // namespace

ObserveLayers::ObserveLayers(LayerObserver& observer) : previous_(current_observer) {
  current_observer = &observer;
}

ObserveLayers::~ObserveLayers() { current_observer = previous_; }

Block::Block() = default;

Block::Block(std::string name) : torch::nn::Module(std::move(name)) {}

Block::~Block() = default;

void Block::add_layer(const std::string& name, torch::nn::AnyModule module) {
  TORCH_CHECK(!module.is_empty() && module.ptr(), this->name(), ": layer '", name, "' is an empty module");
  TORCH_CHECK(!layers_.count(name), this->name(), ": a layer named '", name, "' is already registered");
  register_module(name, module.ptr());
  layers_.emplace(name, Entry{std::move(module), nullptr, nullptr});
  order_.push_back(name);
}

Block::Entry& Block::entry(const std::string& name) {
  const auto found = layers_.find(name);
  TORCH_CHECK(found != layers_.end(), this->name(), ": no layer named '", name, "'");
  return found->second;
}

const Block::Entry& Block::entry(const std::string& name) const {
  const auto found = layers_.find(name);
  TORCH_CHECK(found != layers_.end(), this->name(), ": no layer named '", name, "'");
  return found->second;
}

torch::Tensor Block::call(const std::string& name, const torch::Tensor& x) {
  Entry& layer = entry(name);
  torch::Tensor output = layer.input_quantizer ? layer.input_quantizer->forward(x) : x;
  const bool substituted = layer.output_quantizer_substitutes && layer.output_quantizer->enabled();
  if (!substituted) output = layer.module.forward(output);
  if (layer.output_quantizer) output = layer.output_quantizer->forward(output);
  if (current_observer) current_observer->observe(*layer.module.ptr(), x, output);
  return output;
}

void Block::replace_layer(const std::string& name, torch::nn::AnyModule module) {
  Entry& layer = entry(name);
  TORCH_CHECK(!module.is_empty() && module.ptr(), this->name(), ": the replacement of layer '", name, "' is an empty module");
  module.ptr()->train(is_training());
  replace_module(name, module.ptr());
  layer.module = std::move(module);
}

void Block::attach(const std::string& child, std::shared_ptr<Quantizer>& held,
                   std::shared_ptr<Quantizer> quantizer) {
  if (quantizer) {
    quantizer->train(is_training());
    if (held)
      replace_module(child, quantizer);
    else
      register_module(child, quantizer);
  } else if (held) {
    unregister_module(child);
  }
  held = std::move(quantizer);
}

void Block::set_input_quantizer(const std::string& layer, std::shared_ptr<Quantizer> quantizer) {
  attach(layer + "_input_quantizer", entry(layer).input_quantizer, std::move(quantizer));
}

void Block::set_output_quantizer(const std::string& layer, std::shared_ptr<Quantizer> quantizer, bool substitutes) {
  Entry& held = entry(layer);
  held.output_quantizer_substitutes = substitutes && quantizer != nullptr;
  attach(layer + "_output_quantizer", held.output_quantizer, std::move(quantizer));
}

bool Block::output_quantizer_substitutes(const std::string& layer) const {
  return entry(layer).output_quantizer_substitutes;
}

std::shared_ptr<Quantizer> Block::input_quantizer(const std::string& layer) const {
  return entry(layer).input_quantizer;
}

std::shared_ptr<Quantizer> Block::output_quantizer(const std::string& layer) const {
  return entry(layer).output_quantizer;
}

std::shared_ptr<torch::nn::Module> Block::layer(const std::string& name) const { return entry(name).module.ptr(); }

}  // namespace quantlib::nn

#pragma once
// The building block of editable networks. LibTorch's replace_module only swaps
// the parent's registry entry while typed member handles (and torch's
// Sequential) keep calling the old module. A Block instead calls its layers BY
// NAME: `call(name, x)` looks the layer up in a type-erased table kept in step
// with the module registry, so `replace_layer` really changes what forward
// computes.
//
// Per layer a Block also holds optional activation quantizers, so that
// call(name, x) = out_q(layer(in_q(x))), or out_q(in_q(x)) while an enabled
// output quantizer substitutes the layer. They are children
// "<layer>_input_quantizer" / "<layer>_output_quantizer": their parameters
// train, show in named_parameters and travel in checkpoints.
//
// Misuse (unknown names, names taken twice) is a programming error: c10::Error.
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/types.h>

#include "quantlib/nn/Quantizer.h"

namespace quantlib::nn {

// Told about every layer a Block calls while an ObserveLayers guard is alive
// on this thread (statistics trackers, the summary command). `layer` is the
// registered module itself, so its address identifies it among
// network.named_modules() (see graph::names_by_module). `input` is what the
// layer's input quantizer received, `output` what its output quantizer
// returned; a nested Block is reported after its own layers.
class LayerObserver {
 public:
  virtual ~LayerObserver() = default;
  virtual void observe(const torch::nn::Module& layer, const torch::Tensor& input, const torch::Tensor& output) = 0;
};

// Installs an observer for this thread for the guard's lifetime; guards nest
// (the previous observer comes back on destruction).
class ObserveLayers {
 public:
  explicit ObserveLayers(LayerObserver& observer);
  ~ObserveLayers();
  ObserveLayers(const ObserveLayers&) = delete;
  ObserveLayers& operator=(const ObserveLayers&) = delete;

 private:
  LayerObserver* previous_;
};

class Block : public torch::nn::Module {
 public:
  // Without a name, Module::name() is the demangled type ("fashionmnist::SimpleCnn").
  Block();
  explicit Block(std::string name);
  // Out of line: the vtable and type_info live in libquantlib, shared by plugins.
  ~Block() override;

  // Registers `module` as the layer `name` and returns it. Its forward must take
  // one tensor and return a tensor.
  template <class ModuleHolder>
  ModuleHolder add(const std::string& name, ModuleHolder module) {
    add_layer(name, torch::nn::AnyModule(module));
    return module;
  }

  // out_q(layer(in_q(x))) with the layer registered under `name` now.
  torch::Tensor call(const std::string& name, const torch::Tensor& x);

  // The new layer takes the old one's place in the registry and in every later
  // call(name, ...), and the block's training mode. Its forward must take one
  // tensor and return a tensor (the overload for typed modules checks that
  // while compiling).
  void replace_layer(const std::string& name, torch::nn::AnyModule module);
  template <class ModuleHolder>
  void replace_layer(const std::string& name, ModuleHolder module) {
    static_assert(std::is_convertible_v<decltype(module->forward(std::declval<torch::Tensor>())), torch::Tensor>,
                  "a layer's forward must take a tensor and return a tensor");
    replace_layer(name, torch::nn::AnyModule(std::move(module)));
  }

  // nullptr removes the quantizer. An output quantizer that `substitutes` the
  // layer computes in its place while enabled (PACT in place of the ReLU, as
  // in its paper: unsigned PACT clips at 0 itself, so the ReLU pass is
  // skipped); while it is disabled the layer computes as before.
  void set_input_quantizer(const std::string& layer, std::shared_ptr<Quantizer> quantizer);
  void set_output_quantizer(const std::string& layer, std::shared_ptr<Quantizer> quantizer, bool substitutes = false);
  bool output_quantizer_substitutes(const std::string& layer) const;
  std::shared_ptr<Quantizer> input_quantizer(const std::string& layer) const;
  std::shared_ptr<Quantizer> output_quantizer(const std::string& layer) const;

  bool has_layer(const std::string& name) const { return layers_.count(name) != 0; }
  // In registration order.
  const std::vector<std::string>& layer_names() const { return order_; }
  std::shared_ptr<torch::nn::Module> layer(const std::string& name) const;

 private:
  struct Entry {
    torch::nn::AnyModule module;
    std::shared_ptr<Quantizer> input_quantizer;
    std::shared_ptr<Quantizer> output_quantizer;
    bool output_quantizer_substitutes = false;
  };

  void add_layer(const std::string& name, torch::nn::AnyModule module);
  Entry& entry(const std::string& name);
  const Entry& entry(const std::string& name) const;
  void attach(const std::string& child, std::shared_ptr<Quantizer>& held, std::shared_ptr<Quantizer> quantizer);

  std::unordered_map<std::string, Entry> layers_;
  std::vector<std::string> order_;
};

}  // namespace quantlib::nn

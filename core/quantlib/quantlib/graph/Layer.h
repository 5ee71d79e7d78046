#pragma once
// The layers of a network as graph editing sees them: every submodule below
// the root, by dotted name (as in named_modules), in registration order, with
// its short type name and the Block (if any) that calls it.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/nn/module.h>

#include "quantlib/nn/Block.h"

namespace quantlib::graph {

struct Layer {
  std::string name;  // dotted, e.g. "features.conv1"
  // Module::name() without namespaces and "Impl": "Conv2d", "QuantConv2d",
  // "BatchNorm2d", "Sequential", "PactQuantizer", "SimpleCnn", ...
  std::string type;
  // A quantized twin's wrapped layer type ("Conv2d" for a QuantConv2d), so a
  // rule written for the plain layer also selects its twin; empty otherwise.
  std::string original_type;
  std::shared_ptr<torch::nn::Module> module;
  // The Block that calls this layer by name_in_parent; nullptr when the parent
  // is another kind of module, or a Block that does not call it (a quantizer
  // attached to a layer): then it cannot be replaced nor get quantizers
  // inserted. Owned by the network.
  nn::Block* parent = nullptr;
  std::string name_in_parent;

  // type or original_type is `type_name`.
  bool is(const std::string& type_name) const { return type == type_name || original_type == type_name; }
};

// Every submodule of `network` except the root. The plain layer a twin wraps
// is not listed: the twin stands for it.
std::vector<Layer> list_layers(torch::nn::Module& network);

// The listed layer of that dotted name; c10::Error naming it when there is none.
Layer find_layer(torch::nn::Module& network, const std::string& name);

// "torch::nn::Conv2dImpl" -> "Conv2d", "quantlib::nn::PactQuantizer" -> "PactQuantizer";
// template arguments are dropped.
std::string short_type_name(const std::string& module_name);

// Dotted name of every submodule by address, so a LayerObserver can name the
// layer it is shown.
std::unordered_map<const torch::nn::Module*, std::string> names_by_module(torch::nn::Module& network);

}  // namespace quantlib::graph

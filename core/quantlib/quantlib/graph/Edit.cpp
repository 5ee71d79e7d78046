#include "quantlib/graph/Edit.h"

#include <utility>

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"

namespace quantlib::graph {

namespace {

nn::Block& calling_block(const Layer& layer) {
  TORCH_CHECK(layer.parent != nullptr, "layer '", layer.name, "' (", layer.type,
              ") is not called by a quantlib::nn::Block, so it cannot be edited; build its parent from Blocks");
  return *layer.parent;
}

struct Twin {
  std::shared_ptr<nn::QuantizedLayer> layer;
  torch::nn::AnyModule callable;
};

Twin make_twin(const Layer& layer) {
  if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(layer.module)) {
    nn::QuantConv2d twin(torch::nn::Conv2d(std::move(conv)));
    return {twin.ptr(), torch::nn::AnyModule(twin)};
  }
  if (auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(layer.module)) {
    nn::QuantLinear twin(torch::nn::Linear(std::move(linear)));
    return {twin.ptr(), torch::nn::AnyModule(twin)};
  }
  TORCH_CHECK(false, "layer '", layer.name, "' is a ", layer.type,
              ", which has no quantized twin (Conv2d -> QuantConv2d and Linear -> QuantLinear only)");
  __builtin_unreachable();
}

}  // namespace

std::map<std::string, std::shared_ptr<nn::QuantizedLayer>> replace_with_twins(torch::nn::Module& network,
                                                                             const std::vector<Layer>& layers) {
  // Every layer is checked before the first is replaced: a bad selection
  // leaves the network as it was.
  std::vector<std::pair<Layer, Twin>> planned;
  std::map<std::string, std::shared_ptr<nn::QuantizedLayer>> twins;
  for (const auto& listed : layers) {
    if (twins.count(listed.name)) continue;
    Layer layer = find_layer(network, listed.name);
    if (auto existing = std::dynamic_pointer_cast<nn::QuantizedLayer>(layer.module)) {
      twins[layer.name] = existing;
      continue;
    }
    calling_block(layer);
    Twin twin = make_twin(layer);
    twins[layer.name] = twin.layer;
    planned.emplace_back(std::move(layer), std::move(twin));
  }
  for (auto& [layer, twin] : planned) layer.parent->replace_layer(layer.name_in_parent, std::move(twin.callable));
  return twins;
}

void insert_before(torch::nn::Module& network, const std::string& layer_name, std::shared_ptr<nn::Quantizer> quantizer) {
  const Layer layer = find_layer(network, layer_name);
  calling_block(layer).set_input_quantizer(layer.name_in_parent, std::move(quantizer));
}

void insert_after(torch::nn::Module& network, const std::string& layer_name, std::shared_ptr<nn::Quantizer> quantizer) {
  const Layer layer = find_layer(network, layer_name);
  calling_block(layer).set_output_quantizer(layer.name_in_parent, std::move(quantizer));
}

void substitute(torch::nn::Module& network, const std::string& layer_name, std::shared_ptr<nn::Quantizer> quantizer) {
  const Layer layer = find_layer(network, layer_name);
  calling_block(layer).set_output_quantizer(layer.name_in_parent, std::move(quantizer), /*substitutes=*/true);
}

}  // namespace quantlib::graph

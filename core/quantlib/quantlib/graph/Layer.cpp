#include "quantlib/graph/Layer.h"

#include <functional>

#include "quantlib/nn/QuantizedLayer.h"

namespace quantlib::graph {

std::string short_type_name(const std::string& module_name) {
  // Namespaces end at the last "::" before any template arguments.
  const std::string::size_type template_start = module_name.find('<');
  const std::string plain = module_name.substr(0, template_start);
  const std::string::size_type last_scope = plain.rfind("::");
  std::string type = last_scope == std::string::npos ? plain : plain.substr(last_scope + 2);
  const std::string suffix = "Impl";
  if (type.size() > suffix.size() && type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0)
    type.resize(type.size() - suffix.size());
  return type;
}

std::vector<Layer> list_layers(torch::nn::Module& network) {
  std::vector<Layer> layers;
  const std::function<void(torch::nn::Module&, const std::string&)> walk = [&](torch::nn::Module& parent,
                                                                               const std::string& prefix) {
    auto* block = dynamic_cast<nn::Block*>(&parent);
    const auto* twin = dynamic_cast<nn::QuantizedLayer*>(&parent);
    const std::shared_ptr<torch::nn::Module> wrapped = twin ? twin->original() : nullptr;
    for (const auto& child : parent.named_children()) {
      if (child.value() == wrapped) continue;
      Layer layer;
      layer.name = prefix + child.key();
      layer.type = short_type_name(child.value()->name());
      if (const auto* child_twin = dynamic_cast<nn::QuantizedLayer*>(child.value().get()))
        layer.original_type = short_type_name(child_twin->original()->name());
      layer.module = child.value();
      layer.parent = block && block->has_layer(child.key()) ? block : nullptr;
      layer.name_in_parent = child.key();
      layers.push_back(layer);
      walk(*child.value(), layer.name + ".");
    }
  };
  walk(network, "");
  return layers;
}

Layer find_layer(torch::nn::Module& network, const std::string& name) {
  for (auto& layer : list_layers(network))
    if (layer.name == name) return layer;
  TORCH_CHECK(false, "the network has no layer named '", name, "'");
  __builtin_unreachable();
}

std::unordered_map<const torch::nn::Module*, std::string> names_by_module(torch::nn::Module& network) {
  std::unordered_map<const torch::nn::Module*, std::string> names;
  for (const auto& layer : list_layers(network)) names.emplace(layer.module.get(), layer.name);
  return names;
}

}  // namespace quantlib::graph

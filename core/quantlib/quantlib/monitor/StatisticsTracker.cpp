#include "quantlib/monitor/StatisticsTracker.h"

#include <torch/torch.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/recipes/RuleRecipe.h"

namespace quantlib::monitor {

namespace {

void add_tensor(std::vector<Statistic>& out, const std::string& tag, const torch::Tensor& values) {
  const torch::Tensor flat = values.detach().to(torch::kFloat).reshape({-1}).clone();
  out.push_back({tag, flat, true});
  out.push_back({tag + "/norm", flat.norm().reshape({1}), false});
}

// A layer's own parameters by dotted name within it, without those of the
// quantizers inside it (a twin's weight quantizer reports as a quantizer).
std::vector<std::pair<std::string, torch::Tensor>> own_parameters(torch::nn::Module& layer) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : layer.named_modules()) {
    if (std::dynamic_pointer_cast<nn::Quantizer>(item.value())) continue;
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    bool inside_quantizer = false;
    for (const auto& other : layer.named_modules())
      if (!other.key().empty() && std::dynamic_pointer_cast<nn::Quantizer>(other.value()) &&
          item.key().rfind(other.key() + ".", 0) == 0)
        inside_quantizer = true;
    if (inside_quantizer) continue;
    for (const auto& parameter : item.value()->named_parameters(/*recurse=*/false))
      out.emplace_back(prefix + parameter.key(), parameter.value());
  }
  return out;
}

}  // namespace

TrackerOptions TrackerOptions::parse(const quantlab::Params& monitor) {
  monitor.only({"select", "weights", "gradients", "activations", "quantizers"});
  TrackerOptions options;
  if (monitor.has("select")) options.selection = recipes::parse_selection(monitor.at("select"));
  options.weights = monitor.get<bool>("weights", true);
  options.gradients = monitor.get<bool>("gradients", true);
  options.activations = monitor.get<bool>("activations", true);
  options.quantizers = monitor.get<bool>("quantizers", true);
  return options;
}

StatisticsTracker::StatisticsTracker(torch::nn::Module& network, TrackerOptions options,
                                     const quantlab::Params& monitor)
    : network_(network), options_(std::move(options)) {
  for (const auto& layer : graph::select(network, options_.selection)) {
    // Quantizers are reported through their own statistics, not as layers.
    if (std::dynamic_pointer_cast<nn::Quantizer>(layer.module)) continue;
    tracked_.emplace(layer.module.get(), layer.name);
    layers_.emplace_back(layer.name, layer.module);
    layer_names_.push_back(layer.name);
  }
  if (layer_names_.empty())
    monitor.fail("select", "a selection matching at least one layer of the network (" +
                               options_.selection.describe() + " matches none)");
}

void StatisticsTracker::record_gradients() {
  if (!options_.gradients) return;
  gradients_.clear();
  for (const auto& [name, module] : layers_)
    for (const auto& [key, parameter] : own_parameters(*module))
      if (parameter.grad().defined()) gradients_.emplace_back(name + "." + key, parameter.grad().detach().clone());
}

void StatisticsTracker::observe(const torch::nn::Module& layer, const torch::Tensor& /*input*/,
                                const torch::Tensor& output) {
  if (!options_.activations) return;
  const auto found = tracked_.find(&layer);
  if (found == tracked_.end()) return;
  for (const auto& [name, values] : activations_)
    if (name == found->second) return;
  activations_.emplace_back(found->second, output.detach().clone());
}

std::vector<Statistic> StatisticsTracker::collect() {
  std::vector<Statistic> out;
  if (options_.weights)
    for (const auto& [name, module] : layers_)
      for (const auto& [key, parameter] : own_parameters(*module)) add_tensor(out, "weights/" + name + "." + key, parameter);
  for (const auto& [name, gradient] : gradients_) add_tensor(out, "gradients/" + name, gradient);
  for (const auto& [name, activation] : activations_) add_tensor(out, "activations/" + name, activation);
  gradients_.clear();
  activations_.clear();
  if (options_.quantizers)
    for (const auto& item : network_.named_modules("", /*include_self=*/false)) {
      const auto quantizer = std::dynamic_pointer_cast<nn::Quantizer>(item.value());
      if (!quantizer) continue;
      for (const auto& [stat, values] : quantizer->statistics()) {
        const std::string tag = "quantizers/" + item.key() + "/" + stat;
        const torch::Tensor flat = values.detach().to(torch::kFloat).reshape({-1}).clone();
        if (flat.numel() == 1) {
          out.push_back({tag, flat, false});
        } else {
          out.push_back({tag, flat, true});
          out.push_back({tag + "/mean", flat.mean().reshape({1}), false});
        }
      }
    }
  return out;
}

}  // namespace quantlib::monitor

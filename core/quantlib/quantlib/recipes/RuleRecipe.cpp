#include "quantlib/recipes/RuleRecipe.h"

#include <map>
#include <set>
#include <stdexcept>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "quantlib/graph/Edit.h"
#include "quantlib/graph/FoldBatchNorm.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/recipes/QuantizerSpec.h"

namespace quantlib::recipes {

using quantlab::Params;

namespace {

// A string or a list of strings.
std::vector<std::string> one_or_many(const Params& params, const std::string& key) {
  const YAML::Node value = params.node()[key];
  if (value.IsScalar()) return {params.get<std::string>(key)};
  if (value.IsSequence() && value.size() > 0) return params.get<std::vector<std::string>>(key);
  params.fail(key, "a string or a non-empty list of strings");
}

std::string layer_list(const std::vector<graph::Layer>& layers) {
  std::string text;
  for (const auto& layer : layers) text += (text.empty() ? "" : ", ") + layer.name + " (" + layer.type + ")";
  return text;
}

std::string names_of(const std::vector<graph::Layer>& layers) {
  std::string text;
  for (const auto& layer : layers) text += (text.empty() ? "" : ", ") + layer.name;
  return text;
}

torch::Tensor weight_of(const nn::QuantizedLayer& twin) {
  if (const auto* conv = dynamic_cast<const nn::QuantConv2dImpl*>(&twin)) return conv->conv()->weight;
  if (const auto* linear = dynamic_cast<const nn::QuantLinearImpl*>(&twin)) return linear->linear()->weight;
  TORCH_CHECK(false, "apply_rules: a twin of unknown type ", twin.name());
}

// The channel count (dim 1) of what enters (`input`) or leaves a layer, or 0
// where the layer does not tell: convolutions, linear layers, batch norms.
int64_t activation_channels(const torch::nn::Module& layer, const std::string& slot) {
  const bool input = slot == "input";
  const torch::nn::Module* plain = &layer;
  if (const auto* conv = dynamic_cast<const nn::QuantConv2dImpl*>(&layer)) plain = conv->conv().get();
  if (const auto* linear = dynamic_cast<const nn::QuantLinearImpl*>(&layer)) plain = linear->linear().get();
  if (const auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(plain))
    return input ? conv->options.in_channels() : conv->options.out_channels();
  if (const auto* linear = dynamic_cast<const torch::nn::LinearImpl*>(plain))
    return input ? linear->options.in_features() : linear->options.out_features();
  if (const auto* bn = dynamic_cast<const torch::nn::BatchNorm2dImpl*>(plain)) return bn->options.num_features();
  if (const auto* bn = dynamic_cast<const torch::nn::BatchNorm1dImpl*>(plain)) return bn->options.num_features();
  return 0;
}

// `replace` is an output quantizer that substitutes the layer (a ReLU).
const char* kRoles[] = {"weight", "input", "output", "replace"};

// The slot a role fills: `output` and `replace` both take the layer's output quantizer.
std::string slot_of(const std::string& role) { return role == "replace" ? "output" : role; }

}  // namespace

graph::Rule parse_selection(const Params& select) {
  select.only({"name", "regex", "type", "inside", "all_of", "any_of", "not"});
  if (select.keys().empty()) select.fail("", "a selection with at least one of name, regex, type, inside, all_of, "
                                             "any_of, not");
  std::vector<graph::Rule> all;
  if (select.has("name")) {
    std::vector<graph::Rule> any;
    for (auto& glob : one_or_many(select, "name")) any.push_back(graph::Rule::name(glob));
    all.push_back(graph::Rule::any_of(std::move(any)));
  }
  if (select.has("regex")) {
    try {
      all.push_back(graph::Rule::regex(select.get<std::string>("regex")));
    } catch (const std::invalid_argument&) {
      select.fail("regex", "a regular expression (ECMAScript) matching whole dotted layer names");
    }
  }
  if (select.has("type")) all.push_back(graph::Rule::type(one_or_many(select, "type")));
  if (select.has("inside")) {
    std::vector<graph::Rule> any;
    for (auto& block : one_or_many(select, "inside")) any.push_back(graph::Rule::inside(block));
    all.push_back(graph::Rule::any_of(std::move(any)));
  }
  const std::string maps = "a non-empty list of selection maps";
  if (select.has("all_of")) {
    std::vector<graph::Rule> rules;
    for (const auto& item : select.maps("all_of", maps)) rules.push_back(parse_selection(item));
    if (rules.empty()) select.fail("all_of", maps);
    all.push_back(graph::Rule::all_of(std::move(rules)));
  }
  if (select.has("any_of")) {
    std::vector<graph::Rule> rules;
    for (const auto& item : select.maps("any_of", maps)) rules.push_back(parse_selection(item));
    if (rules.empty()) select.fail("any_of", maps);
    all.push_back(graph::Rule::any_of(std::move(rules)));
  }
  if (select.has("not")) all.push_back(graph::Rule::negate(parse_selection(select.at("not"))));
  return all.size() == 1 ? all.front() : graph::Rule::all_of(std::move(all));
}

Controllers apply_rules(torch::nn::Module& network, const Params& params) {
  params.only({"fold_batch_norm", "rules"});
  const auto rules = params.maps("rules", "a non-empty list of rules {select, weight, input, output, replace}");
  if (rules.empty()) params.fail("rules", "a non-empty list of rules {select, weight, input, output, replace}");

  // Read everything before editing: a bad rule must not leave a half-edited network.
  struct ParsedRule {
    Params params;
    graph::Rule selection;
    std::map<std::string, QuantizerSpec> specs;  // by role
  };
  std::vector<ParsedRule> parsed;
  for (const auto& rule : rules) {
    rule.only({"select", "weight", "input", "output", "replace"});
    ParsedRule item{rule, parse_selection(rule.at("select")), {}};
    for (const char* role : kRoles)
      if (rule.has(role))
        item.specs.emplace(role, QuantizerSpec::parse(rule.at(role), std::string(role) == "weight" ? Role::Weight
                                                                                                    : Role::Activation));
    if (item.specs.empty())
      rule.fail("weight", "at least one of weight, input, output, replace: the quantizer to put there");
    if (item.specs.count("replace") && !item.specs.at("replace").replaces_relu())
      rule.fail("replace", "an unsigned pact quantizer, which clips at 0 as the ReLU it replaces does (" +
                               item.specs.at("replace").describe() + " does not; put it after the ReLU with "
                               "`output`)");
    parsed.push_back(std::move(item));
  }

  if (params.get<bool>("fold_batch_norm", false)) graph::fold_batch_norm(network);

  // Every rule selects among the network's layers as they are before any
  // quantizer goes in, so a rule never selects another rule's quantizers, and
  // a refused rule leaves the network unedited.
  std::vector<std::vector<graph::Layer>> selections;
  std::map<std::string, std::string> claimed;  // "layer/role" -> the rule that quantized it
  std::map<std::string, int64_t> channels;      // "layer/role" -> channels, for quantizers that need them
  for (const auto& rule : parsed) {
    const auto layers = graph::select(network, rule.selection);
    if (layers.empty())
      rule.params.fail("select", "a selection matching at least one layer of the network (" +
                                     rule.selection.describe() + " matches none; layers: " +
                                     layer_list(graph::list_layers(network)) + ")");
    for (const auto& [role, spec] : rule.specs)
      for (const auto& layer : layers) {
        const auto [it, fresh] = claimed.emplace(layer.name + "/" + slot_of(role), rule.params.path(role));
        if (!fresh)
          rule.params.fail(role, (role == "weight" ? "a " : "an ") + slot_of(role) +
                                     " quantizer for layers that have none yet (" + layer.name +
                                     " got one from " + it->second + ")");
        if (role == "replace" && !layer.is("ReLU"))
          rule.params.fail("select", "only ReLU layers for `replace` (" + layer.name + " is a " + layer.type +
                                         "; put the quantizer after it with `output`)");
        if (role == "weight" && !layer.is("Conv2d") && !layer.is("Linear"))
          rule.params.fail("select", "only Conv2d and Linear layers for a weight quantizer (" + layer.name +
                                         " is a " + layer.type + ")");
        if (role != "weight" && layer.parent == nullptr)
          rule.params.fail("select", "layers a quantlib Block calls by name, so a quantizer can be put at their " +
                                         role + " (" + layer.name + " is not)");
        if (role != "weight" && spec.needs_channels()) {
          const int64_t count = activation_channels(*layer.module, slot_of(role));
          if (count <= 0)
            rule.params.fail("select", "layers whose " + slot_of(role) + " channel count the recipe can read for " +
                                           spec.describe() + " (Conv2d, Linear, BatchNorm; " + layer.name +
                                           " is a " + layer.type + ")");
          channels[layer.name + "/" + role] = count;
        }
      }
    selections.push_back(layers);
  }

  Controllers controllers;
  for (std::size_t r = 0; r < parsed.size(); ++r) {
    const auto& rule = parsed[r];
    const auto& layers = selections[r];
    for (const auto& [role, spec] : rule.specs) {
      std::vector<std::shared_ptr<nn::Quantizer>> quantizers;
      if (role == "weight") {
        for (const auto& [name, twin] : graph::replace_with_twins(network, layers)) {
          auto quantizer = spec.make(weight_of(*twin));
          twin->set_weight_quantizer(quantizer);
          quantizers.push_back(std::move(quantizer));
        }
      } else {
        for (const auto& layer : layers) {
          auto quantizer = spec.needs_channels() ? spec.make_for_channels(channels.at(layer.name + "/" + role))
                                                 : spec.make();
          if (role == "input")
            graph::insert_before(network, layer.name, quantizer);
          else if (role == "replace")
            graph::substitute(network, layer.name, quantizer);
          else
            graph::insert_after(network, layer.name, quantizer);
          quantizers.push_back(std::move(quantizer));
        }
      }
      controllers.push_back(
          spec.make_controller(rule.params.path(role) + " (" + spec.describe() + " on " + names_of(layers) + ")",
                               quantizers));
    }
  }
  return controllers;
}

}  // namespace quantlib::recipes

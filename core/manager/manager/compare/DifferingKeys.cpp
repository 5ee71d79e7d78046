#include "manager/compare/DifferingKeys.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

#include "quantlab/Text.h"

namespace quantlab::compare {

namespace {

// Plain scalars that YAML reads as numbers get one spelling; quoted scalars
// (tag "!") are strings whatever they look like.
std::string scalar_text(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  std::int64_t integer;
  if (YAML::convert<std::int64_t>::decode(node, integer)) return std::to_string(integer);
  double number;
  if (YAML::convert<double>::decode(node, number) && std::isfinite(number)) return shortest(number);
  return text;
}

// One line of flow YAML with canonical numbers: "[5, 8]", "{bits: 4, type: [Conv2d, Linear]}".
// yaml-cpp's emitter keeps a loaded node's block style whatever it is asked,
// which would put line breaks into table cells.
std::string flow_text(const YAML::Node& node) {
  if (node.IsScalar()) return scalar_text(node);
  if (node.IsSequence()) {
    std::string text;
    for (const auto& item : node) text += (text.empty() ? "" : ", ") + flow_text(item);
    return "[" + text + "]";
  }
  if (node.IsMap()) {
    std::string text;
    for (const auto& entry : node)
      text += (text.empty() ? "" : ", ") + entry.first.as<std::string>() + ": " + flow_text(entry.second);
    return "{" + text + "}";
  }
  return "null";
}

void flatten(const YAML::Node& node, const std::string& key, FlatConfig& out) {
  if (node.IsMap() && node.size() > 0) {
    for (const auto& entry : node) {
      const std::string name = entry.first.as<std::string>();
      flatten(entry.second, key.empty() ? name : key + "." + name, out);
    }
  } else {
    out.emplace_back(key, flow_text(node));
  }
}

}  // namespace

FlatConfig flatten_config(const YAML::Node& root) {
  FlatConfig flat;
  if (root.IsMap()) flatten(root, "", flat);
  return flat;
}

std::string value_of(const FlatConfig& config, const std::string& key) {
  for (const auto& [name, value] : config)
    if (name == key) return value;
  return kAbsentValue;
}

std::vector<std::string> differing_keys(const std::vector<FlatConfig>& configs) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::vector<std::map<std::string, std::string>> lookups;
  for (const FlatConfig& config : configs) {
    lookups.emplace_back(config.begin(), config.end());
    for (const auto& entry : config)
      if (seen.insert(entry.first).second) order.push_back(entry.first);
  }
  // A null and no value mean the same in a config (the default), so they compare equal.
  const auto value = [](const std::map<std::string, std::string>& lookup, const std::string& key) {
    const auto found = lookup.find(key);
    return found == lookup.end() || found->second == "null" ? std::string(kAbsentValue) : found->second;
  };
  std::vector<std::string> differing;
  for (const std::string& key : order) {
    if (key == "network.class" || key == "network.quantize.recipe") continue;
    const std::string first = value(lookups.front(), key);
    if (std::any_of(lookups.begin() + 1, lookups.end(),
                    [&](const auto& lookup) { return value(lookup, key) != first; }))
      differing.push_back(key);
  }
  if (differing.size() > 1)
    differing.erase(std::remove(differing.begin(), differing.end(), "experiment.seed"), differing.end());
  return differing;
}

}  // namespace quantlab::compare

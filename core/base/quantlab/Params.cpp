#include "quantlab/Params.h"

#include <algorithm>
#include <sstream>

namespace quantlab {

Params::Params(YAML::Node node, std::string path, std::string source)
    : node_(std::move(node)), path_(std::move(path)), source_(std::move(source)) {
  if (node_ && !node_.IsNull() && !node_.IsMap()) {
    throw ConfigError(source_ + ": " + (path_.empty() ? "<top level>" : path_) +
                      ": expected a map of keys to values");
  }
}

bool Params::has(const std::string& key) const {
  return node_ && node_.IsMap() && node_[key] && !node_[key].IsNull();
}

std::vector<std::string> Params::keys() const {
  std::vector<std::string> out;
  if (node_ && node_.IsMap())
    for (const auto& entry : node_) out.push_back(entry.first.as<std::string>());
  return out;
}

Params Params::at(const std::string& key) const {
  YAML::Node child = has(key) ? node_[key] : YAML::Node(YAML::NodeType::Null);
  if (child && !child.IsNull() && !child.IsMap()) fail(key, "a map of keys to values");
  return Params(child, path(key), source_);
}

std::vector<Params> Params::maps(const std::string& key, const std::string& expected) const {
  std::vector<Params> items;
  if (!has(key)) return items;
  const YAML::Node list = node_[key];
  if (!list.IsSequence()) fail(key, expected);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = path(key) + "[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) fail(key, expected + " (" + item + " is not a map)");
    items.emplace_back(list[i], item, source_);
  }
  return items;
}

void Params::only(std::initializer_list<std::string> allowed) const {
  only(std::vector<std::string>(allowed));
}

void Params::only(const std::vector<std::string>& allowed) const {
  for (const auto& key : keys()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::ostringstream known;
    for (size_t i = 0; i < allowed.size(); ++i) known << (i ? ", " : "") << allowed[i];
    throw ConfigError(source_ + ": " + path(key) + ": unknown key; expected one of " + known.str());
  }
}

std::string Params::path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void Params::fail(const std::string& key, const std::string& expected) const {
  std::string message = source_ + ": " + path(key) + ": expected " + expected;
  if (has(key)) {
    YAML::Emitter out;
    out << YAML::Flow << node_[key];
    message += ", got " + std::string(out.c_str());
  }
  throw ConfigError(message);
}

}  // namespace quantlab

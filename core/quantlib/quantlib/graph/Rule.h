#pragma once
// Which layers a quantization recipe edits: a rule on a listed Layer (see
// Layer.h), built from name globs, regular expressions, types and
// containment, combined with all_of / any_of / negate. A recipe's YAML
// `select:` maps one to one onto these.
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "quantlib/graph/Layer.h"

namespace quantlib::graph {

class Rule {
 public:
  // Glob on the dotted name: '*' any run of characters (dots included), '?'
  // one character, anything else itself.
  static Rule name(std::string glob);
  // ECMAScript regular expression matching the WHOLE dotted name; a bad
  // pattern throws std::invalid_argument naming it.
  static Rule regex(const std::string& pattern);
  // Layer::is(type) for one of the types ("Conv2d" also selects QuantConv2d).
  static Rule type(std::string type);
  static Rule type(std::vector<std::string> types);
  // Layers below the block of that dotted name (not the block itself).
  static Rule inside(std::string block);
  // all_of({}) selects every layer, any_of({}) none.
  static Rule all_of(std::vector<Rule> rules);
  static Rule any_of(std::vector<Rule> rules);
  static Rule negate(Rule rule);

  bool matches(const Layer& layer) const;
  // E.g. all_of(type in {Conv2d}, not(name ~ "conv1")), for logs and errors.
  std::string describe() const;

  class Condition;

 private:
  explicit Rule(std::shared_ptr<const Condition> condition) : condition_(std::move(condition)) {}
  std::shared_ptr<const Condition> condition_;
};

// The listed layers of `network` that `rule` matches, in list_layers order.
std::vector<Layer> select(torch::nn::Module& network, const Rule& rule);

}  // namespace quantlib::graph

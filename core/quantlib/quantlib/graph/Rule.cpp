#include "quantlib/graph/Rule.h"

#include <regex>
#include <stdexcept>
#include <utility>

namespace quantlib::graph {

class Rule::Condition {
 public:
  virtual ~Condition() = default;
  virtual bool matches(const Layer& layer) const = 0;
  virtual std::string describe() const = 0;
};

namespace {

// Iterative glob with one backtrack point: on a mismatch after a '*', let
// that star swallow one more character.
bool glob_matches(const std::string& glob, const std::string& text) {
  std::size_t g = 0, t = 0;
  std::size_t star = std::string::npos, star_text = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      star_text = t;
    } else if (star != std::string::npos) {
      g = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

class NameGlob : public Rule::Condition {
 public:
  explicit NameGlob(std::string glob) : glob_(std::move(glob)) {}
  bool matches(const Layer& layer) const override { return glob_matches(glob_, layer.name); }
  std::string describe() const override { return "name ~ " + quoted(glob_); }

 private:
  std::string glob_;
};

class NameRegex : public Rule::Condition {
 public:
  explicit NameRegex(const std::string& pattern) : pattern_(pattern) {
    try {
      regex_ = std::regex(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      throw std::invalid_argument("regex " + quoted(pattern) + " is not a valid regular expression (" +
                                  error.what() + ")");
    }
  }
  bool matches(const Layer& layer) const override { return std::regex_match(layer.name, regex_); }
  std::string describe() const override { return "regex " + quoted(pattern_); }

 private:
  std::string pattern_;
  std::regex regex_;
};

class TypeIn : public Rule::Condition {
 public:
  explicit TypeIn(std::vector<std::string> types) : types_(std::move(types)) {}
  bool matches(const Layer& layer) const override {
    for (const auto& type : types_)
      if (layer.is(type)) return true;
    return false;
  }
  std::string describe() const override {
    std::string text = "type in {";
    for (std::size_t i = 0; i < types_.size(); ++i) text += (i ? ", " : "") + types_[i];
    return text + "}";
  }

 private:
  std::vector<std::string> types_;
};

class Inside : public Rule::Condition {
 public:
  explicit Inside(std::string block) : prefix_(std::move(block) + ".") {}
  bool matches(const Layer& layer) const override { return layer.name.compare(0, prefix_.size(), prefix_) == 0; }
  std::string describe() const override { return "inside " + quoted(prefix_.substr(0, prefix_.size() - 1)); }

 private:
  std::string prefix_;
};

class Combination : public Rule::Condition {
 public:
  Combination(bool all, std::vector<Rule> rules) : all_(all), rules_(std::move(rules)) {}
  bool matches(const Layer& layer) const override {
    for (const auto& rule : rules_)
      if (rule.matches(layer) != all_) return !all_;
    return all_;
  }
  std::string describe() const override {
    std::string text = all_ ? "all_of(" : "any_of(";
    for (std::size_t i = 0; i < rules_.size(); ++i) text += (i ? ", " : "") + rules_[i].describe();
    return text + ")";
  }

 private:
  bool all_;
  std::vector<Rule> rules_;
};

class Negation : public Rule::Condition {
 public:
  explicit Negation(Rule rule) : rule_(std::move(rule)) {}
  bool matches(const Layer& layer) const override { return !rule_.matches(layer); }
  std::string describe() const override { return "not(" + rule_.describe() + ")"; }

 private:
  Rule rule_;
};

}  // namespace

Rule Rule::name(std::string glob) { return Rule(std::make_shared<NameGlob>(std::move(glob))); }
Rule Rule::regex(const std::string& pattern) { return Rule(std::make_shared<NameRegex>(pattern)); }
Rule Rule::type(std::string type) { return Rule(std::make_shared<TypeIn>(std::vector<std::string>{std::move(type)})); }
Rule Rule::type(std::vector<std::string> types) { return Rule(std::make_shared<TypeIn>(std::move(types))); }
Rule Rule::inside(std::string block) { return Rule(std::make_shared<Inside>(std::move(block))); }
Rule Rule::all_of(std::vector<Rule> rules) { return Rule(std::make_shared<Combination>(true, std::move(rules))); }
Rule Rule::any_of(std::vector<Rule> rules) { return Rule(std::make_shared<Combination>(false, std::move(rules))); }
Rule Rule::negate(Rule rule) { return Rule(std::make_shared<Negation>(std::move(rule))); }

bool Rule::matches(const Layer& layer) const { return condition_->matches(layer); }
std::string Rule::describe() const { return condition_->describe(); }

std::vector<Layer> select(torch::nn::Module& network, const Rule& rule) {
  std::vector<Layer> selected;
  for (auto& layer : list_layers(network))
    if (rule.matches(layer)) selected.push_back(std::move(layer));
  return selected;
}

}  // namespace quantlib::graph

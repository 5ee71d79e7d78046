#include "manager/config/Yaml.h"

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"

namespace quantlab {

namespace {

// Walks the parser's events and refuses a mapping that holds a key twice.
class DuplicateKeys : public YAML::EventHandler {
 public:
  explicit DuplicateKeys(std::string source) : source_(std::move(source)) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    refuse_container_key("an empty (null) value", mark);
    node_done("~", mark);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    refuse_container_key("an alias (*name)", mark);
    node_done(std::nullopt, mark);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string& value) override {
    node_done(value, mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    refuse_container_key("a list", mark);
    frames_.push_back(Frame{false, true, {}});
  }
  void OnSequenceEnd() override { container_done(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    refuse_container_key("a mapping", mark);
    frames_.push_back(Frame{true, true, {}});
  }
  void OnMapEnd() override { container_done(); }

 private:
  struct Frame {
    bool is_map;
    bool expecting_key;
    std::map<std::string, int> key_lines;  // key -> its line, 1-based
  };

  // Keys are names: YAML's complex keys (`? [a, b]: 1`), aliases and nulls
  // (`~: 1`, or a key lost to a stray tag) name nothing.
  void refuse_container_key(const std::string& what, const YAML::Mark& mark) const {
    if (frames_.empty() || !frames_.back().is_map || !frames_.back().expecting_key) return;
    throw ConfigError(source_ + ":" + std::to_string(mark.line + 1) + ": " + what +
                      " used as a mapping key; expected a plain name");
  }

  // A node is complete: in a mapping it is a key or a value, in turn.
  void node_done(const std::optional<std::string>& key_text, const YAML::Mark& mark) {
    if (frames_.empty() || !frames_.back().is_map) return;
    Frame& frame = frames_.back();
    if (frame.expecting_key && key_text) {
      const int line = mark.line + 1;
      const auto [first, inserted] = frame.key_lines.emplace(*key_text, line);
      if (!inserted)
        throw ConfigError(source_ + ":" + std::to_string(line) + ": key '" + *key_text +
                          "' appears twice in one mapping (first on line " + std::to_string(first->second) +
                          "); keep one");
    }
    frame.expecting_key = !frame.expecting_key;
  }

  void container_done() {
    frames_.pop_back();
    node_done(std::nullopt, YAML::Mark());
  }

  std::string source_;
  std::vector<Frame> frames_;
};

}  // namespace

YAML::Node parse_yaml(const std::string& text, const std::string& source) {
  try {
    std::istringstream events(text);
    YAML::Parser parser(events);
    DuplicateKeys check(source);
    parser.HandleNextDocument(check);
    // yaml-cpp 0.7 can report empty documents without end after some damaged
    // text, so the documents are not walked to the end: a second one is
    // refused (YAML::Load would ignore it silently anyway).
    DuplicateKeys second(source);
    if (parser.HandleNextDocument(second))
      throw ConfigError(source + ": holds more than one YAML document (a line '---' or '...' inside it); "
                        "expected one");
    return YAML::Load(text);
  } catch (const YAML::ParserException& error) {
    throw ConfigError(source + ":" + std::to_string(error.mark.line + 1) + ": malformed YAML: " + error.msg);
  }
}

YAML::Node load_yaml_file(const std::filesystem::path& file) {
  std::error_code error;
  if (std::filesystem::is_directory(file, error))
    throw ConfigError(file.string() + ": is a folder (expected a YAML file)");
  const std::optional<std::string> text = read_whole_file(file);
  if (!text) throw ConfigError(file.string() + ": cannot read the file (expected a readable YAML file)");
  return parse_yaml(*text, file.string());
}

}  // namespace quantlab

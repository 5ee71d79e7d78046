#include "manager/sweep/detail/YamlFlow.h"

namespace quantlab::sweep::detail {
namespace {

void emit(YAML::Emitter& out, const YAML::Node& value, bool quote) {
  if (value.IsSequence()) {
    out << YAML::BeginSeq;
    for (const auto& item : value) emit(out, item, false);
    out << YAML::EndSeq;
  } else if (value.IsMap()) {
    out << YAML::BeginMap;
    for (const auto& entry : value) {
      out << YAML::Key;
      emit(out, entry.first, false);
      out << YAML::Value;
      emit(out, entry.second, false);
    }
    out << YAML::EndMap;
  } else if (value.IsScalar()) {
    // yaml-cpp would drop the quotes of a "!" scalar, and '0.1' come back a number.
    if (quote || value.Tag() == "!") out << YAML::DoubleQuoted;
    out << value.Scalar();
  } else {
    out << YAML::Null;
  }
}

}  // namespace

std::vector<std::string> split_top_level(const std::string& text) {
  std::vector<std::string> pieces(1);
  int depth = 0;
  char quote = 0;
  char last = 0;  // the last non-blank character outside quotes; 0 at a value's start
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool escaped = (quote == '"' && c == '\\') || (quote == '\'' && c == '\'' && i + 1 < text.size() &&
                                                          text[i + 1] == '\'');
    if (escaped && i + 1 < text.size()) {
      pieces.back() += text.substr(i++, 2);
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
    } else if ((c == '\'' || c == '"') && (last == 0 || last == ',' || last == '[' || last == '{' || last == ':')) {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      pieces.emplace_back();
      last = 0;
      continue;
    }
    if (!quote && c != ' ' && c != '\t') last = c;
    pieces.back() += c;
  }
  return pieces;
}

std::string flow(const YAML::Node& value) {
  YAML::Emitter out;
  out << YAML::Flow;
  emit(out, value, false);
  if (!value.IsScalar() || split_top_level(out.c_str()).size() == 1) return out.c_str();
  YAML::Emitter quoted;
  emit(quoted, value, true);
  return quoted.c_str();
}

}  // namespace quantlab::sweep::detail

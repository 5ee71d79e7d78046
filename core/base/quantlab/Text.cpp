#include "quantlab/Text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <regex>
#include <utility>

namespace quantlab {

std::string shortest(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::string with_unit(double value, std::string_view unit) {
  static const char* const prefixes[] = {"", "K", "M", "G", "T", "P", "E"};
  std::size_t prefix = 0;
  const double sign = value < 0 ? -1 : 1;
  value = std::fabs(value);
  while (value >= 999.5 && prefix + 1 < std::size(prefixes)) {
    value /= 1000.0;
    ++prefix;
  }
  char text[32];
  const int decimals = prefix == 0 && value == std::floor(value) ? 0 : value < 9.995 ? 2 : value < 99.95 ? 1 : 0;
  std::snprintf(text, sizeof text, "%.*f", decimals, sign * value);
  std::string result = text;
  if (!unit.empty()) return result + " " + prefixes[prefix] + std::string(unit);
  return result + prefixes[prefix];
}

namespace {

std::optional<double> amount(std::string_view text, std::initializer_list<std::pair<std::string_view, double>> units) {
  static const std::regex pattern(R"(\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(text.begin(), text.end(), match, pattern)) return std::nullopt;
  for (const auto& [unit, factor] : units)
    if (match[2].str() == unit) {
      const double value = std::stod(match[1].str()) * factor;
      if (value > 0 && std::isfinite(value)) return value;
    }
  return std::nullopt;
}

}  // namespace

std::optional<double> byte_amount(std::string_view text) {
  return amount(text, {{"", 1}, {"B", 1}, {"kB", 1e3}, {"KB", 1e3}, {"KiB", 1024}, {"MB", 1e6}, {"MiB", 1048576},
                       {"GB", 1e9}, {"GiB", 1073741824}});
}

std::optional<double> count_amount(std::string_view text) {
  return amount(text, {{"", 1}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}});
}

std::string clock_text(double seconds) {
  const long total = std::lround(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  return text;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace quantlab

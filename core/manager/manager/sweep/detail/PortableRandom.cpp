#include "manager/sweep/detail/PortableRandom.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace quantlab::sweep::detail {
namespace {

YAML::Node number(const char* format, double x) {
  char text[40];
  std::snprintf(text, sizeof text, format, x);
  std::string value = text;
  // With a '.', every YAML reader (Python's too) takes it for a float: 1e-05 -> 1.0e-05.
  if (value.find('.') == std::string::npos) value.insert(std::min(value.find('e'), value.size()), ".0");
  return YAML::Load(value);
}

double unit(std::mt19937_64& engine) { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }  // [0, 1)

// Uniform on [0, n) by rejection, so that no value is favoured; n == 0 stands for 2^64.
std::uint64_t below(std::mt19937_64& engine, std::uint64_t n) {
  if (n == 0) return engine();
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() / n * n;
  for (;;)
    if (const std::uint64_t x = engine(); x < limit) return x % n;
}

// 6 significant digits, unless rounding would leave [low, high].
YAML::Node drawn_float(double x, double low, double high) {
  const YAML::Node rounded = number("%.6g", x);
  const double value = rounded.as<double>();
  return value >= low && value <= high ? rounded : number("%.17g", x);
}

}  // namespace

YAML::Node Distribution::draw(std::mt19937_64& engine) const {
  if (name == "uniform") return drawn_float(low + unit(engine) * (high - low), low, high);
  if (name == "log_uniform")
    return drawn_float(std::exp(std::log(low) + unit(engine) * (std::log(high) - std::log(low))), low, high);
  if (name == "int_range") {
    const auto span = static_cast<std::uint64_t>(int_high) - static_cast<std::uint64_t>(int_low);
    return YAML::Node(static_cast<std::int64_t>(static_cast<std::uint64_t>(int_low) + below(engine, span + 1)));
  }
  return YAML::Clone(choices[below(engine, choices.size())]);
}

}  // namespace quantlab::sweep::detail

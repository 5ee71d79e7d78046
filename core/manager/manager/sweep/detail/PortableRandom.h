#pragma once
// The sweep file's random draws: the same values from a seed on every
// platform. std::mt19937_64's output is specified by the standard, its
// distributions' are not, so values are mapped from it by this file's own
// arithmetic. Internal to manager/sweep.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace quantlab::sweep::detail {

// One `random.params` entry of a sweep file, as the parser checked it.
struct Distribution {
  std::string name;  // uniform, log_uniform, int_range or choice
  double low = 0, high = 0;
  std::int64_t int_low = 0, int_high = 0;
  std::vector<YAML::Node> choices;

  // The next value: floats keep 6 significant digits (unless rounding would
  // leave [low, high]) and always a '.', integers and choices are exact.
  YAML::Node draw(std::mt19937_64& engine) const;
};

}  // namespace quantlab::sweep::detail

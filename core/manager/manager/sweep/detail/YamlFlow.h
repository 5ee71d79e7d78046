#pragma once
// Sweep values as one-line YAML (flow style), the text of `--set key=value`
// and of point labels, and the splitting of a command-line `--set` value
// list at its top-level commas. Internal to manager/sweep.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace quantlab::sweep::detail {

// Splits at commas outside [], {} and quotes. A quote opens a scalar only at
// the start of a value, as in YAML, so "it's,b" is two values.
std::vector<std::string> split_top_level(const std::string& text);

// One-line YAML that parses back to the same value. A plain top-level string
// with a comma is quoted, so that `qlhost sweep --set` reads it as one value.
std::string flow(const YAML::Node& value);

}  // namespace quantlab::sweep::detail

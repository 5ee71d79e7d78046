#pragma once
// What sets compared experiments apart: their config.yaml files flattened to
// dotted keys, and the keys whose values are not all equal. A leaderboard
// shows those keys instead of whole configs.
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace quantlab::compare {

// Dotted key -> value text, in the config's own order. Maps are walked down to
// their leaves; a sequence, an empty map and a null are leaves. Numbers are
// written canonically ("0.050" and "5e-2" both read "0.05"), so values equal
// as numbers compare equal; sequences and maps inside them are one line of
// flow YAML ("[5, 8]", "[{bits: 4}]").
using FlatConfig = std::vector<std::pair<std::string, std::string>>;
FlatConfig flatten_config(const YAML::Node& root);

// The value a key has in a config that lacks it.
inline constexpr const char* kAbsentValue = "-";

// The keys whose values are not all equal across `configs`, in order of first
// appearance. A key missing from a config has the value null there (what an
// unset key means), so `quantize: null` and no `quantize` are equal. Left out:
// network.class and network.quantize.recipe, which a leaderboard shows as
// the topology and the recipe, and
// experiment.seed unless it is the only key that differs: seeds are drawn per
// experiment, so they differ almost always and would crowd out what was
// varied on purpose, but when repeats of one point differ by nothing else the
// seed is what tells them apart.
std::vector<std::string> differing_keys(const std::vector<FlatConfig>& configs);

// The value of `key` in `config`, kAbsentValue if it has none.
std::string value_of(const FlatConfig& config, const std::string& key);

}  // namespace quantlab::compare

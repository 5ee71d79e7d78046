#pragma once
// Readers of the recipe keys several algorithms share (bits, signed,
// per_channel, start_epoch, a choice among names). Each throws
// quantlab::ConfigError naming the key and what was expected.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "quantlab/Params.h"
#include "quantlib/algorithms/Algorithm.h"
#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::recipe_keys {

// The widest quantizer a recipe may ask for.
constexpr int64_t kMaxBits = 24;

// signed: weights default to signed (symmetric around zero), activations
// (after a ReLU) to unsigned.
ops::Signedness read_signedness(const quantlab::Params& spec, Role role);
// bits in [2 (signed) or 1, kMaxBits], `fallback` when absent; read from
// `key` (learned bit-widths read their bounds `min` and `max` so).
int64_t read_bits(const quantlab::Params& spec, ops::Signedness signedness, int64_t fallback,
                  const std::string& key = "bits");
// start_epoch >= minimum, `minimum` when absent.
int read_start_epoch(const quantlab::Params& spec, int minimum = 0);
// per_channel: one scale per output channel (dim 0 of the weight); weights only.
bool read_per_channel(const quantlab::Params& spec, Role role);
// The per-channel count a quantizer of `weight` takes: its dim 0 when
// per_channel, else 0 (one scale per tensor).
int64_t channel_count(bool per_channel, const torch::Tensor& weight);

template <typename Enum>
Enum read_choice(const quantlab::Params& spec, const std::string& key, const std::string& fallback,
                 const std::vector<std::pair<std::string, Enum>>& choices) {
  const std::string value = spec.get<std::string>(key, fallback);
  std::string names;
  for (const auto& [name, choice] : choices) {
    if (name == value) return choice;
    names += (names.empty() ? "" : ", ") + name;
  }
  spec.fail(key, "one of " + names);
}

// The algorithm of a quantizer with fixed levels (binary, ternary): keys
// {per_channel, start_epoch}; weights get per-channel scales, activations
// the levels themselves. Quantizer(Kind, per_channel_count).
template <typename Quantizer>
Algorithm fixed_levels_algorithm(std::string name) {
  return {std::move(name),
          {Role::Weight, Role::Activation},
          {"per_channel", "start_epoch"},
          [](const quantlab::Params& spec, Role role) {
            const bool per_channel = read_per_channel(spec, role);
            const auto kind = role == Role::Weight ? Quantizer::Kind::Weights : Quantizer::Kind::Activations;
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor& weight) {
              return std::make_shared<Quantizer>(kind, channel_count(per_channel, weight));
            };
            factory.make_controller = switch_on_at(read_start_epoch(spec));
            return factory;
          }};
}

}  // namespace quantlib::recipe_keys

#pragma once
// The declarative recipe "rules": any network quantized from YAML, e.g.
//   network.quantize: {recipe: rules, params: {fold_batch_norm: false, rules: [
//     {select: {type: [Conv2d, Linear]}, weight: {algorithm: uniform, bits: 8, per_channel: true}},
//     {select: {type: ReLU}, output: {algorithm: pact, bits: 8}}]}}
// Each rule selects layers (see parse_selection) and says which quantizer goes
// on their weights (conv/linear layers, swapped for their quantized twins) and
// on the activations entering (input) or leaving (output) them, with its
// bits/levels and schedule (see QuantizerSpec.h). One controller per rule and
// role drives the quantizers it made.
#include <torch/nn/module.h>

#include "quantlab/Params.h"
#include "quantlib/algorithms/Controller.h"
#include "quantlib/graph/Rule.h"

namespace quantlib::recipes {

// Edits `network` as `params` says; every bad value, and a rule that selects
// nothing, is a quantlab::ConfigError naming its key.
Controllers apply_rules(torch::nn::Module& network, const quantlab::Params& params);

// A `select:` map: {name: glob | [globs], regex: re, type: T | [T...], inside: block | [blocks],
// all_of: [selections], any_of: [selections], not: selection}; several keys
// in one map must all hold. Recipes and statistics trackers share it.
graph::Rule parse_selection(const quantlab::Params& select);

}  // namespace quantlib::recipes

#pragma once
// The registry of quantization algorithms: what a recipe's `algorithm: NAME`
// means. Each algorithm lives in its own folder under quantlib/algorithms/
// (its quantizer module, its recipe reader, its controller when it needs its
// own) and is listed once in Algorithm.cpp; a plugin may register more with
// register_algorithm before it builds networks. Integerize needs no list:
// each quantizer describes its own integer grid (nn::Quantizer::integer_grid).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlab/Params.h"
#include "quantlib/algorithms/Controller.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib {

// Where a quantizer goes: a layer's weight, or an activation before/after it.
enum class Role { Weight, Activation };

using Quantizers = std::vector<std::shared_ptr<nn::Quantizer>>;

// One recipe entry of an algorithm, read and checked: it makes the quantizers
// and the controller that drives them.
struct QuantizerFactory {
  // A new quantizer for `weight` (per-channel quantizers get one scale per
  // slice along dim 0), or for an activation when `weight` is undefined.
  std::function<std::shared_ptr<nn::Quantizer>(const torch::Tensor& weight)> make;
  // Set instead of `make` by activation quantizers with per-channel
  // parameters (RSign's thresholds): a new quantizer for an activation of
  // `channels` channels (dim 1), which the recipe reads from the layer.
  std::function<std::shared_ptr<nn::Quantizer>(int64_t channels)> make_for_channels;
  // The controller of every quantizer this factory made; `name` names it in logs.
  std::function<std::shared_ptr<Controller>(const std::string& name, const Quantizers& quantizers)> make_controller;
  // True when the activation quantizer clips at 0 and gives inputs below 0 no
  // gradient, exactly as a ReLU, so it may substitute the ReLU it follows
  // (graph::substitute).
  bool replaces_relu = false;
};

struct Algorithm {
  std::string name;
  // Where it may quantize.
  std::vector<Role> roles;
  // Its recipe keys besides `algorithm`; any other key is refused before read.
  std::vector<std::string> keys;
  // Reads `spec` for `role`; throws quantlab::ConfigError naming the bad key.
  std::function<QuantizerFactory(const quantlab::Params& spec, Role role)> read;
};

// Adds an algorithm; throws std::invalid_argument when the name is taken or
// the entry is incomplete.
void register_algorithm(Algorithm algorithm);
// The algorithm called `name`, or nullptr.
const Algorithm* find_algorithm(const std::string& name);
// Every registered name, built-in ones first in their documented order.
std::vector<std::string> algorithm_names();

// The controller factory of algorithms whose only schedule is "quantize from
// epoch E on" (EpochSwitchController).
std::function<std::shared_ptr<Controller>(const std::string&, const Quantizers&)> switch_on_at(int start_epoch);

}  // namespace quantlib

#pragma once
// The small network recipe tests quantize, and their recipe params.
#include <string>

#include "quantlab/Params.h"
#include "quantlib/nn/Sequential.h"

namespace quantlab::test {

// conv1 -> bn1 -> relu1 -> flatten -> fc1 -> relu2 -> fc2 on 1x5x5 inputs,
// all called by name; the same weights every time (seed 3).
quantlib::nn::Sequential small_network();

// `yaml` as network.quantize.params of a file recipe.yaml, for error messages.
Params recipe_params(const std::string& yaml);

}  // namespace quantlab::test

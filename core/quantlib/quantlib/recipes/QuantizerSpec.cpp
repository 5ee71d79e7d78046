#include "quantlib/recipes/QuantizerSpec.h"

#include <algorithm>

namespace quantlib::recipes {

using quantlab::Params;

QuantizerSpec QuantizerSpec::parse(const Params& spec, Role role) {
  const std::string name = spec.get<std::string>("algorithm");
  const Algorithm* algorithm = find_algorithm(name);
  if (algorithm == nullptr) {
    std::string names;
    for (const auto& known : algorithm_names()) names += (names.empty() ? "" : ", ") + known;
    spec.fail("algorithm", "one of " + names);
  }
  std::vector<std::string> keys{"algorithm"};
  keys.insert(keys.end(), algorithm->keys.begin(), algorithm->keys.end());
  spec.only(keys);
  if (std::find(algorithm->roles.begin(), algorithm->roles.end(), role) == algorithm->roles.end())
    spec.fail("algorithm", role == Role::Weight ? "a weight algorithm; " + name + " quantizes activations"
                                                : "an activation algorithm; " + name + " quantizes weights");
  QuantizerFactory factory = algorithm->read(spec, role);
  return QuantizerSpec(spec, role, name, std::move(factory));
}

std::shared_ptr<nn::Quantizer> QuantizerSpec::make(const torch::Tensor& weight) const {
  TORCH_CHECK(factory_.make, "QuantizerSpec: ", algorithm_, " needs the activation's channel count (make_for_channels)");
  return factory_.make(weight);
}

std::shared_ptr<nn::Quantizer> QuantizerSpec::make_for_channels(int64_t channels) const {
  if (!factory_.make_for_channels) return make();
  return factory_.make_for_channels(channels);
}

std::string QuantizerSpec::describe() const {
  std::string text = algorithm_ + (role_ == Role::Weight ? " weight" : " activation");
  if (spec_.has("bits") && spec_.get<std::string>("bits") == "learned")
    text += " learned-bit";
  else if (spec_.has("bits"))
    text += " " + std::to_string(spec_.get<int64_t>("bits")) + "-bit";
  if (spec_.has("n_levels")) text += " " + std::to_string(spec_.get<int64_t>("n_levels")) + " levels";
  return text;
}

}  // namespace quantlib::recipes

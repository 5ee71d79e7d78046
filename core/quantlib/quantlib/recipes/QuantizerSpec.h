#pragma once
// One quantizer as a recipe describes it in YAML, e.g.
//   {algorithm: pact, bits: 4, signed: false, alpha: 6.0, start_epoch: 0}
// read and checked once (every bad value is a ConfigError naming its key),
// then made into one quantizer per selected layer and one controller that
// drives them all. C++ recipes use it too, so a topology's named recipe and a
// YAML rule speak the same language.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlab/Params.h"
#include "quantlib/algorithms/Controller.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib::recipes {

// Where the quantizer goes: a layer's weight, or an activation before/after it.
enum class Role { Weight, Activation };

class QuantizerSpec {
 public:
  // Reads and checks `spec` (a map) for `role`; throws quantlab::ConfigError.
  static QuantizerSpec parse(const quantlab::Params& spec, Role role);

  // A new quantizer for `weight` (per-channel quantizers get one scale per
  // slice along dim 0; INQ keeps the tensor to freeze it), or for an
  // activation when `weight` is undefined.
  std::shared_ptr<nn::Quantizer> make(const torch::Tensor& weight = {}) const;
  // The controller of every quantizer made from this spec; `name` names it in logs.
  std::shared_ptr<Controller> make_controller(const std::string& name,
                                              const std::vector<std::shared_ptr<nn::Quantizer>>& quantizers) const;

  const std::string& algorithm() const { return algorithm_; }
  Role role() const { return role_; }
  // True for an unsigned PACT activation: it clips at 0 and gives inputs below
  // 0 no gradient, exactly as after a ReLU, so it may substitute the ReLU it
  // follows (graph::substitute), as in the PACT paper. Not LSQ or TQT: they
  // set their range from the first batch they see, which would then include
  // the negative inputs the ReLU removed.
  bool replaces_relu() const;
  // One line for logs and summaries, e.g. "pact 4-bit unsigned".
  std::string describe() const;

 private:
  QuantizerSpec(quantlab::Params spec, Role role, std::string algorithm)
      : spec_(std::move(spec)), role_(role), algorithm_(std::move(algorithm)) {}

  quantlab::Params spec_;  // checked by parse()
  Role role_;
  std::string algorithm_;
};

// The algorithms a spec may name, for error messages and documentation.
const std::vector<std::string>& known_algorithms();

}  // namespace quantlib::recipes

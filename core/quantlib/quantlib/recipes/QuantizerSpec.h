#pragma once
// One quantizer as a recipe describes it in YAML, e.g.
//   {algorithm: pact, bits: 4, signed: false, alpha: 6.0, start_epoch: 0}
// read and checked once by its algorithm (quantlib/algorithms/Algorithm.h;
// every bad value is a ConfigError naming its key), then made into one
// quantizer per selected layer and one controller that drives them all. C++
// recipes use it too, so a topology's named recipe and a YAML rule speak the
// same language.
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlab/Params.h"
#include "quantlib/algorithms/Algorithm.h"

namespace quantlib::recipes {

using quantlib::Role;

class QuantizerSpec {
 public:
  // Reads and checks `spec` (a map) for `role`; throws quantlab::ConfigError.
  static QuantizerSpec parse(const quantlab::Params& spec, Role role);

  // A new quantizer for `weight`, or for an activation when `weight` is undefined.
  std::shared_ptr<nn::Quantizer> make(const torch::Tensor& weight = {}) const;
  // True when the quantizer needs its activation's channel count (RSign):
  // then make_for_channels makes it, not make.
  bool needs_channels() const { return static_cast<bool>(factory_.make_for_channels); }
  std::shared_ptr<nn::Quantizer> make_for_channels(int64_t channels) const;
  // The controller of every quantizer made from this spec; `name` names it in logs.
  std::shared_ptr<Controller> make_controller(const std::string& name, const Quantizers& quantizers) const {
    return factory_.make_controller(name, quantizers);
  }

  const std::string& algorithm() const { return algorithm_; }
  Role role() const { return role_; }
  // True when the activation quantizer may substitute the ReLU it follows
  // (QuantizerFactory::replaces_relu).
  bool replaces_relu() const { return factory_.replaces_relu; }
  // One line for logs and summaries, e.g. "pact activation 4-bit".
  std::string describe() const;

 private:
  QuantizerSpec(quantlab::Params spec, Role role, std::string algorithm, QuantizerFactory factory)
      : spec_(std::move(spec)), role_(role), algorithm_(std::move(algorithm)), factory_(std::move(factory)) {}

  quantlab::Params spec_;  // checked by parse()
  Role role_;
  std::string algorithm_;
  QuantizerFactory factory_;
};

}  // namespace quantlib::recipes

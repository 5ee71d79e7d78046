#pragma once
// A quantizer is a module a recipe puts into a layer's slot (see QuantizerSlot.h).
// Its enabled flag belongs to the controller that drives it: a disabled quantizer
// is the identity, so a controller can switch quantization on at an epoch. The
// flag is not part of the module's state (as the original's `started` was not);
// a resumed run gets it back from its controller's step.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "quantlib/nn/IntegerGrid.h"

namespace quantlib::nn {

class Quantizer : public torch::nn::Module {
 public:
  // Identity while disabled, quantize(x) while enabled.
  virtual torch::Tensor forward(const torch::Tensor& x);

  bool enabled() const { return enabled_; }
  void set_enabled(bool enabled) { enabled_ = enabled; }

  // Bits one quantized value takes when stored (ternary: 2); model-size
  // summaries and integerization read it.
  virtual int64_t bits() const = 0;
  // The learned or scheduled quantities worth watching in TensorBoard (PACT's
  // alpha, LSQ's step, INQ's frozen fraction, ANA's noise), by short name.
  virtual std::vector<std::pair<std::string, torch::Tensor>> statistics() const { return {}; }
  // Where its outputs sit on integers, from its current parameters (see
  // IntegerGrid.h); IntegerGrid::none with the reason when they do not.
  virtual IntegerGrid integer_grid() const;
  // quantize(x) whatever the enabled flag, without what forward adds around
  // it (STE's range recording); integerize checks a grid against it. A
  // quantizer that sets its range from its first input (LSQ, TQT, uniform)
  // still does so here.
  torch::Tensor quantized(const torch::Tensor& x) { return quantize(x); }

 protected:
  Quantizer(std::string name, bool enabled);
  virtual torch::Tensor quantize(const torch::Tensor& x) = 0;

 private:
  bool enabled_;
};

}  // namespace quantlib::nn

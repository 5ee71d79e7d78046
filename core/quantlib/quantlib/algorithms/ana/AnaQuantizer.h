#pragma once
// ANA (see quantlib/ops/Ana.h): a staircase over a fixed level set whose input is
// smoothed by noise while training; AnaController anneals the noise scales s_fwd
// and s_bwd to 0. Enabled from construction. In eval mode the forward is always
// the hard staircase.
//
// The level set (binary, ternary, n uniform levels on [-1, 1]) is multiplied by a
// scale, levels and thresholds alike. A fixed scale suits activations; a weight
// quantizer built without one takes max |w| of the first tensor it quantizes, and
// the buffer "initialised" records that, so a loaded checkpoint keeps its scale.
// The buffers "scale", "s_fwd" and "s_bwd" (shape {1}) travel in checkpoints.
#include <cstdint>
#include <optional>

#include <ATen/core/Generator.h>
#include <c10/util/Optional.h>

#include "quantlib/nn/BufferFlag.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/ops/Ana.h"

namespace quantlib::nn {

class AnaQuantizer : public Quantizer {
 public:
  // n_levels: 2 for Binary, 3 for Ternary, the count for Uniform. scale: positive,
  // or std::nullopt for max |x| of the first tensor quantized. Arguments are
  // checked here, so a bad recipe fails when it builds the network.
  AnaQuantizer(ops::AnaLevels levels, int64_t n_levels, ops::AnaNoise noise, ops::AnaForward forward,
               std::optional<double> scale = 1.0);

  // The noise scales of training; both >= 0 and finite (0: hard step, zero gradient).
  void set_s_fwd(double s_fwd);
  void set_s_bwd(double s_bwd);
  double s_fwd() const;
  double s_bwd() const;

  // Random draws from this generator; without one, from the global CPU generator.
  void set_generator(std::optional<at::Generator> generator) { generator_ = std::move(generator); }

  // Sets the scale to max |x| as the first tensor quantized would.
  void initialise(const torch::Tensor& x);
  bool initialised() const;
  double scale() const;
  // The staircase at the current scale.
  ops::AnaStaircase staircase() const;

  int64_t n_levels() const { return n_levels_; }
  ops::AnaNoise noise() const { return noise_; }
  ops::AnaForward forward_mode() const { return forward_; }
  // ceil(log2(n_levels)).
  int64_t bits() const override;
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override {
    return {{"s_fwd", s_fwd_}, {"s_bwd", s_bwd_}};
  }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  ops::AnaLevels levels_;
  int64_t n_levels_;
  ops::AnaNoise noise_;
  ops::AnaForward forward_;
  std::optional<at::Generator> generator_;
  torch::Tensor scale_;
  torch::Tensor initialised_;
  BufferFlag initialised_read_;
  torch::Tensor s_fwd_;
  torch::Tensor s_bwd_;
};

}  // namespace quantlib::nn

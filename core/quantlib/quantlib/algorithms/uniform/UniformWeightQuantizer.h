#pragma once
// Symmetric uniform weight quantizer with a fixed scale (see
// quantlib/ops/SymmetricUniform.h), per tensor or per channel along dim 0.
// Enabled from construction. Unless initialise() was called, the first weight it
// quantizes sets the scale by the range initialisation (max, std or MSE; see
// quantlib/ops/WeightRange.h); the scale is then kept, not learned. Whether that
// happened is the buffer "initialised", so a loaded checkpoint keeps its scale.
#include <cstdint>

#include "quantlib/nn/BufferFlag.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/ops/WeightRange.h"

namespace quantlib::nn {

class UniformWeightQuantizer : public Quantizer {
 public:
  // bits in [2, 24]; per_channel_count 0: one scale for the tensor; C > 0: C
  // scales, one per slice w[c] along dim 0 (a layer's output channels).
  UniformWeightQuantizer(int64_t bits, int64_t per_channel_count = 0, ops::RangeInit range_init = {});

  // Sets the scale from w as the first forward would.
  void initialise(const torch::Tensor& w);
  bool initialised() const;

  int64_t bits() const override { return bits_; }
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override { return {{"scale", scale_}}; }
  // The buffer "scale", shape {1} or {per_channel_count}.
  const torch::Tensor& scale() const { return scale_; }
  const ops::RangeInit& range_init() const { return range_init_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  int64_t bits_;
  int64_t per_channel_count_;
  ops::RangeInit range_init_;
  torch::Tensor scale_;
  torch::Tensor initialised_;
  BufferFlag initialised_read_;
};

}  // namespace quantlib::nn

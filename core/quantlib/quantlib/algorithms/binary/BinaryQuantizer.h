#pragma once
// Binary quantizer (see quantlib/ops/Binary.h): weights to sign(w) * mean|w|
// (XNOR-Net; per tensor or per output channel), or activations to sign(x).
// Enabled from construction; it has no state (the scale follows the weight).
#include <cstdint>

#include "quantlib/nn/Quantizer.h"

namespace quantlib::nn {

class BinaryQuantizer : public Quantizer {
 public:
  enum class Kind { Weights, Activations };

  // per_channel_count: 0 for one scale per tensor; C > 0 for one per slice along
  // dim 0 (weights only).
  explicit BinaryQuantizer(Kind kind, int64_t per_channel_count = 0);

  Kind kind() const { return kind_; }
  int64_t bits() const override { return 1; }
  IntegerGrid integer_grid() const override;

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  Kind kind_;
  int64_t per_channel_count_;
};

}  // namespace quantlib::nn

#pragma once
// Ternary quantizer (see quantlib/ops/Ternary.h): weights to {-a, 0, a} with the
// TWN threshold 0.7 mean|w| (per tensor or per output channel), or activations
// to {-1, 0, 1} with threshold 0.5. Enabled from construction; it has no state
// (the threshold and scale follow the weight).
#include <cstdint>
#include <optional>

#include "quantlib/nn/Quantizer.h"

namespace quantlib::nn {

class TernaryQuantizer : public Quantizer {
 public:
  enum class Kind { Weights, Activations };

  // per_channel_count: 0 for one threshold and scale per tensor; C > 0 for one
  // per slice along dim 0 (weights only). threshold: the factor t of delta =
  // t mean|w| for weights (0.7 when not given), the threshold for activations
  // (0.5 when not given).
  explicit TernaryQuantizer(Kind kind, int64_t per_channel_count = 0, std::optional<double> threshold = std::nullopt);

  Kind kind() const { return kind_; }
  double threshold() const { return threshold_; }
  int64_t bits() const override { return 2; }
  IntegerGrid integer_grid() const override;

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  Kind kind_;
  int64_t per_channel_count_;
  double threshold_;
};

}  // namespace quantlib::nn

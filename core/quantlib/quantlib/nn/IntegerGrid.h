#pragma once
// How a quantizer's outputs sit on integers: what integerize
// (quantlib/deploy/Integerize.h) needs to replace the quantizer by integer
// arithmetic. Every quantizer describes its own grid (Quantizer::integer_grid),
// so the integer path holds no list of quantizer types.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::nn {

struct IntegerThreshold {
  double value;
  bool strict;  // x > value when true, x >= value when false
};

struct IntegerGrid {
  enum class Form {
    // No integer form; `reason` says why.
    None,
    // q(x) = step * clamp(R(x / step), lo, hi), R rounding to nearest (half
    // to even) or down. step: float64, shape {1}, or {C} for a weight
    // quantized per output channel.
    Uniform,
    // Activations: q(x) = lo + gain * (number of thresholds x reaches), in
    // units of step (binary and ternary activations; per channel for RSign).
    Thresholds,
    // Weights: every quantized value is an integer multiple of the smallest
    // nonzero magnitude of its output channel (INQ's powers of two, binary
    // and ternary scales); integerize reads the steps from the values.
    Multiples,
  };

  Form form = Form::None;
  std::string reason;
  torch::Tensor step;
  int64_t lo = 0;
  int64_t hi = 0;
  ops::Rounding rounding = ops::Rounding::Nearest;
  std::vector<IntegerThreshold> thresholds;  // ascending
  // Per-channel thresholds instead of `thresholds`: float64 [C, T], ascending
  // along dim 1, each reached when x >= value; c is the index along dim 1 of x.
  torch::Tensor channel_thresholds;
  int64_t gain = 1;

  static IntegerGrid none(std::string reason);
  static IntegerGrid uniform(torch::Tensor step, int64_t lo, int64_t hi,
                             ops::Rounding rounding = ops::Rounding::Nearest);
  // Levels of a b-bit integer: [0, 2^b - 1] unsigned; signed [-2^(b-1), 2^(b-1) - 1],
  // or [-(2^(b-1) - 1), 2^(b-1) - 1] when symmetric.
  static IntegerGrid of_bits(torch::Tensor step, int64_t bits, ops::Signedness signedness, bool symmetric,
                             ops::Rounding rounding = ops::Rounding::Nearest);
  static IntegerGrid of_thresholds(std::vector<IntegerThreshold> thresholds, int64_t lo, int64_t gain);
  static IntegerGrid of_channel_thresholds(torch::Tensor thresholds, int64_t lo, int64_t gain);
  static IntegerGrid multiples();

  bool is_signed() const { return lo < 0; }
};

// A float64 step tensor from a float32 parameter or buffer, flattened.
torch::Tensor grid_step(const torch::Tensor& step);
// A float64 step tensor of one value.
torch::Tensor grid_step(double step);

}  // namespace quantlib::nn

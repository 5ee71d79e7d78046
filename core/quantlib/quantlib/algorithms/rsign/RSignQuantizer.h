#pragma once
// RSign (see quantlib/ops/RSign.h): activations to sign(x - b_c) with a
// learned threshold per channel (dim 1), ReActNet's binary activation.
// The thresholds start at 0 (plain sign) and train with the network.
// Enabled from construction; a controller may switch it off until an epoch.
#include <cstdint>

#include "quantlib/nn/Quantizer.h"

namespace quantlib::nn {

class RSignQuantizer : public Quantizer {
 public:
  explicit RSignQuantizer(int64_t channels);

  int64_t bits() const override { return 1; }
  // Per-channel thresholds: -1 below b_c, +1 from b_c on.
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override;

  const torch::Tensor& threshold() const { return threshold_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  torch::Tensor threshold_;
};

}  // namespace quantlib::nn

#pragma once
// The original QuantLab's STE activation (see quantlib/ops/UniformSte.h):
// n_levels uniform levels on [-m, m]. While monitoring it records m as the
// running max |x| in the buffer "abs_max"; while enabled it quantizes with that m.
// The controller monitors during the epoch before quantization starts, then
// enables it. Disabled from construction, since there is no m to quantize with
// until something was monitored.
#include <cstdint>

#include "quantlib/nn/Quantizer.h"

namespace quantlib::nn {

class SteQuantizer : public Quantizer {
 public:
  explicit SteQuantizer(int64_t n_levels);

  // Records max |x| (when monitoring), then quantizes (when enabled).
  torch::Tensor forward(const torch::Tensor& x) override;

  bool monitoring() const { return monitoring_; }
  void set_monitoring(bool monitoring) { monitoring_ = monitoring; }
  // Forgets the recorded m (back to 0, i.e. nothing recorded).
  void reset_abs_max();

  int64_t n_levels() const { return n_levels_; }
  // ceil(log2(n_levels)).
  int64_t bits() const override;
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override { return {{"abs_max", abs_max_}}; }
  // The buffer "abs_max", shape {1}; 0 until something was monitored.
  const torch::Tensor& abs_max() const { return abs_max_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  int64_t n_levels_;
  bool monitoring_ = false;
  torch::Tensor abs_max_;
};

}  // namespace quantlib::nn

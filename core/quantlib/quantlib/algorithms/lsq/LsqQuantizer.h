#pragma once
// LSQ with a learned step (see quantlib/ops/Lsq.h), per tensor or per channel
// along dim 0. Enabled from construction. Unless initialise() was called, the
// first batch it quantizes sets the step as the paper does, 2 mean(|x|) / sqrt(Qp)
// (per channel: the mean over each slice along dim 0). Whether that happened is
// the buffer "initialised", so a loaded checkpoint keeps its learned step.
#include <cstdint>

#include "quantlib/nn/BufferFlag.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::nn {

// LSQ's initial step from a first batch x: 2 mean(|x|) / sqrt(Qp) at `bits`,
// per tensor (shape {1}) or per slice along dim 0 (shape {per_channel_count}),
// at least 1e-8 (an all-zero batch, a dead ReLU, would give 0).
torch::Tensor lsq_initial_step(const torch::Tensor& x, int64_t per_channel_count, int64_t bits,
                               ops::Signedness signedness, const char* who);

class LsqQuantizer : public Quantizer {
 public:
  // per_channel_count 0: one step for the tensor; C > 0: C steps, one per slice
  // x[c] along dim 0 (e.g. a conv weight's output channels).
  LsqQuantizer(int64_t bits, ops::Signedness signedness, int64_t per_channel_count = 0);

  // Sets the step from x as the first batch would.
  void initialise(const torch::Tensor& x);
  bool initialised() const;

  int64_t bits() const override { return bits_; }
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override { return {{"step", step_}}; }
  ops::Signedness signedness() const { return signedness_; }
  // The parameter "step", shape {1} or {per_channel_count}.
  const torch::Tensor& step() const { return step_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  int64_t bits_;
  ops::Signedness signedness_;
  int64_t per_channel_count_;
  torch::Tensor step_;
  torch::Tensor initialised_;
  BufferFlag initialised_read_;
};

}  // namespace quantlib::nn

#pragma once
// LSQ with a learned, fractional bit-width (FracBits: Yang and Jin 2021,
// "FracBits: Mixed Precision Quantization via Fractional Bit-Widths", AAAI
// 2021). A real bit-width b, learned in [min_bits, max_bits], mixes the LSQ
// quantizations at the two integer bit-widths around it:
//   lo = min(floor(b), max_bits - 1),  hi = lo + 1,  f = b - lo
//   y = (1 - f) Q_lo(x) + f Q_hi(x),   dy/db = Q_hi(x) - Q_lo(x)
// Q_k is LSQ (quantlib/ops/Lsq.h) at k bits with the step s_k = s Qp(max)/Qp(k):
// one learned step s (the step at max_bits; per tensor or per channel along
// dim 0) keeps the clipping range Qp(k) s_k the same at every k. Each Q_k's
// step gradient is LSQ's g = 1/sqrt(N Qp(k)) times (Qp(k)/Qp(max))^2, so s_k
// moves by the same fraction of itself as LSQ's step at k bits would.
//
// freeze() rounds b to the nearest integer (FracBits does; the penalty held
// the fractional cost, and rounding keeps it on average where ceil would add
// half a bit per layer) and from then on the quantizer is LSQ at those bits,
// its step s_k. The frozen bits are the buffer "frozen_bits" (0 while
// learning), so checkpoints carry them and integerize needs no controller.
// bits() is the integer bit-width in force: the frozen bits, else ceil(b)
// (the wider grid a mixture of both needs).
#include <cstdint>

#include "quantlib/nn/BufferFlag.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::nn {

class LearnedBitsQuantizer : public Quantizer {
 public:
  // min_bits < max_bits, both valid LSQ bit-widths for `signedness`, and
  // init_bits in [min_bits, max_bits]. per_channel_count as LsqQuantizer's.
  LearnedBitsQuantizer(int64_t min_bits, int64_t max_bits, double init_bits, ops::Signedness signedness,
                       int64_t per_channel_count = 0);

  // Sets the step from x as the first batch would: LSQ's 2 mean|x| / sqrt(Qp)
  // at the integer bits nearest the initial b.
  void initialise(const torch::Tensor& x);
  bool initialised() const;

  int64_t bits() const override;
  IntegerGrid integer_grid() const override;
  // "step" (s_k at the bits in force) and "bits" (b).
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override;

  // b clamped to [min_bits, max_bits] (its gradient passes the clamp), or the frozen bits.
  torch::Tensor fractional_bits() const;
  // The parameter b, shape {1}.
  const torch::Tensor& learned_bits() const { return bits_; }
  // Clamps the parameter b into [min_bits, max_bits] in place (after an
  // optimizer step moved it out, where it would get no gradient).
  void clamp_bits();
  bool frozen() const;
  // Rounds b to the nearest integer and quantizes at those bits from now on.
  void freeze();

  int64_t min_bits() const { return min_bits_; }
  int64_t max_bits() const { return max_bits_; }
  ops::Signedness signedness() const { return signedness_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  // The LSQ quantization of x at k bits, its step s_k.
  torch::Tensor lsq_at(const torch::Tensor& x, int64_t k) const;
  torch::Tensor step_at(int64_t k) const;

  int64_t min_bits_;
  int64_t max_bits_;
  ops::Signedness signedness_;
  int64_t per_channel_count_;
  torch::Tensor step_;
  torch::Tensor bits_;
  torch::Tensor initialised_;
  BufferFlag initialised_read_;
  torch::Tensor frozen_bits_;
};

}  // namespace quantlib::nn

#pragma once
// PACT with a learned clipping bound alpha (see quantlib/ops/Pact.h). Enabled
// from construction.
#include <cstdint>

#include "quantlib/nn/Quantizer.h"
#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::nn {

class PactQuantizer : public Quantizer {
 public:
  // alpha_init > 0 and the bit width are checked here, so a bad recipe fails
  // when it builds the network rather than at the first batch.
  PactQuantizer(int64_t bits, ops::Signedness signedness, double alpha_init,
                ops::Rounding rounding = ops::Rounding::Nearest);

  int64_t bits() const override { return bits_; }
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override { return {{"alpha", alpha_}}; }
  ops::Signedness signedness() const { return signedness_; }
  // The parameter "alpha", shape {1}.
  const torch::Tensor& alpha() const { return alpha_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  int64_t bits_;
  ops::Signedness signedness_;
  ops::Rounding rounding_;
  torch::Tensor alpha_;
};

}  // namespace quantlib::nn

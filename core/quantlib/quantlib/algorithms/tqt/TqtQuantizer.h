#pragma once
// TQT with a learned log2 threshold (see quantlib/ops/Tqt.h). Enabled from
// construction. Unless initialise() was called, the first batch it quantizes
// sets log2_t = log2(max |x|); whether that happened is the buffer "initialised",
// so a loaded checkpoint keeps its learned threshold.
#include <cstdint>

#include "quantlib/nn/BufferFlag.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::nn {

class TqtQuantizer : public Quantizer {
 public:
  TqtQuantizer(int64_t bits, ops::Signedness signedness);

  // Sets log2_t from x as the first batch would.
  void initialise(const torch::Tensor& x);
  bool initialised() const;

  int64_t bits() const override { return bits_; }
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override { return {{"log2_t", log2_t_}}; }
  ops::Signedness signedness() const { return signedness_; }
  // The parameter "log2_t", shape {1}.
  const torch::Tensor& log2_t() const { return log2_t_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  int64_t bits_;
  ops::Signedness signedness_;
  torch::Tensor log2_t_;
  torch::Tensor initialised_;
  BufferFlag initialised_read_;
};

}  // namespace quantlib::nn

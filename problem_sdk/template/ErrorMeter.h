#pragma once
#include <map>
#include <string>

#include "quantlab/Meter.h"

namespace @namespace@ {

// Classification error in percent, from logits [N, classes] and class
// indices [N]. Statistics: float64 [count, correct]. REPLACE with your
// problem's metric; keep the statistics additive (sums and counts) so the host
// can sum them across ranks.
class ErrorMeter : public quantlab::Meter {
 public:
  void reset() override;
  void add(const torch::Tensor& prediction, const torch::Tensor& target) override;
  torch::Tensor statistics() const override;
  // With no samples counted the error is 100, the worst value.
  std::map<std::string, double> metrics(const torch::Tensor& statistics) const override;
  std::string main_metric() const override { return "error"; }
  bool higher_is_better() const override { return false; }

 private:
  double count_ = 0;
  double correct_ = 0;
};

}  // namespace @namespace@

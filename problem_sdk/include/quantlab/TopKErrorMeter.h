#pragma once
#include <map>
#include <string>

#include "quantlab/Meter.h"

namespace quantlab {

// Top-1 and top-5 classification error in percent, from logits [N, classes]
// and class indices [N]. Statistics: float64 [count, top1_correct, top5_correct].
class TopKErrorMeter : public Meter {
 public:
  void reset() override;
  void add(const torch::Tensor& prediction, const torch::Tensor& target) override;
  torch::Tensor statistics() const override;
  // With no samples counted both errors are 100, the worst value.
  std::map<std::string, double> metrics(const torch::Tensor& statistics) const override;
  std::string main_metric() const override { return "top1_error"; }
  bool higher_is_better() const override { return false; }

 private:
  double count_ = 0;
  double top1_correct_ = 0;
  double top5_correct_ = 0;
};

}  // namespace quantlab

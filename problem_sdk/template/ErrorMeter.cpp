#include "ErrorMeter.h"

#include <torch/torch.h>

namespace @namespace@ {

void ErrorMeter::reset() { count_ = correct_ = 0; }

void ErrorMeter::add(const torch::Tensor& prediction, const torch::Tensor& target) {
  TORCH_CHECK(prediction.dim() == 2 && target.dim() == 1 && prediction.size(0) == target.size(0),
              "ErrorMeter expects logits [N, classes] and targets [N]");
  torch::NoGradGuard no_grad;
  count_ += static_cast<double>(target.size(0));
  correct_ += prediction.detach().argmax(1).eq(target.to(torch::kLong)).sum().item<double>();
}

torch::Tensor ErrorMeter::statistics() const { return torch::tensor({count_, correct_}, torch::kFloat64); }

std::map<std::string, double> ErrorMeter::metrics(const torch::Tensor& statistics) const {
  TORCH_CHECK(statistics.numel() == 2, "ErrorMeter statistics hold 2 values");
  const torch::Tensor values = statistics.to(torch::kFloat64).contiguous();
  const double* sums = values.data_ptr<double>();
  if (sums[0] <= 0) return {{"error", 100.0}};
  return {{"error", 100.0 * (1.0 - sums[1] / sums[0])}};
}

}  // namespace @namespace@

#include "quantlab/TopKErrorMeter.h"

#include <algorithm>

#include <torch/torch.h>

namespace quantlab {

void TopKErrorMeter::reset() { count_ = top1_correct_ = top5_correct_ = 0; }

void TopKErrorMeter::add(const torch::Tensor& prediction, const torch::Tensor& target) {
  TORCH_CHECK(prediction.dim() == 2 && target.dim() == 1 && prediction.size(0) == target.size(0),
              "TopKErrorMeter expects logits [N, classes] and targets [N]");
  torch::NoGradGuard no_grad;
  const std::int64_t k = std::min<std::int64_t>(5, prediction.size(1));
  const torch::Tensor top_classes = std::get<1>(prediction.detach().topk(k, 1));
  const torch::Tensor hits = top_classes.eq(target.to(torch::kLong).unsqueeze(1));
  count_ += static_cast<double>(target.size(0));
  top1_correct_ += hits.select(1, 0).sum().item<double>();
  top5_correct_ += hits.any(1).sum().item<double>();
}

torch::Tensor TopKErrorMeter::statistics() const {
  return torch::tensor({count_, top1_correct_, top5_correct_}, torch::kFloat64);
}

std::map<std::string, double> TopKErrorMeter::metrics(const torch::Tensor& statistics) const {
  TORCH_CHECK(statistics.numel() == 3, "TopKErrorMeter statistics hold 3 values");
  const torch::Tensor values = statistics.to(torch::kFloat64).contiguous();
  const double* sums = values.data_ptr<double>();
  if (sums[0] <= 0) return {{"top1_error", 100.0}, {"top5_error", 100.0}};
  return {{"top1_error", 100.0 * (1.0 - sums[1] / sums[0])},
          {"top5_error", 100.0 * (1.0 - sums[2] / sums[0])}};
}

}  // namespace quantlab

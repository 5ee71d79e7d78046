#include "quantlab/Dataset.h"

#include <torch/torch.h>

namespace quantlab {

TensorDataset::TensorDataset(torch::Tensor inputs, torch::Tensor targets, std::string description)
    : inputs_(std::move(inputs)), targets_(std::move(targets)), description_(std::move(description)) {
  TORCH_CHECK(inputs_.size(0) == targets_.size(0), "inputs and targets differ in length");
}

std::int64_t TensorDataset::size() const { return inputs_.size(0); }

Batch TensorDataset::get(const std::vector<std::int64_t>& indices) const {
  auto index = torch::tensor(indices, torch::kLong);
  return {inputs_.index_select(0, index), targets_.index_select(0, index)};
}

Batch SampleDataset::get(const std::vector<std::int64_t>& indices) const {
  std::vector<torch::Tensor> inputs, targets;
  inputs.reserve(indices.size());
  targets.reserve(indices.size());
  for (const std::int64_t index : indices) {
    Sample one = sample(index);
    inputs.push_back(std::move(one.input));
    targets.push_back(std::move(one.target));
  }
  return {torch::stack(inputs), torch::stack(targets)};
}

}  // namespace quantlab

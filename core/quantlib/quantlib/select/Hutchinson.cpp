#include "quantlib/select/Hutchinson.h"

#include <torch/torch.h>

namespace quantlib::select {

std::vector<double> hutchinson_trace_sums(const std::vector<torch::Tensor>& weights, int64_t chunks,
                                          const std::function<torch::Tensor(int64_t)>& chunk_loss, int64_t draws,
                                          uint64_t seed) {
  TORCH_CHECK(!weights.empty(), "hutchinson_trace_sums: no weights");
  TORCH_CHECK(draws >= 1, "hutchinson_trace_sums: draws must be positive");
  std::vector<double> sums(weights.size(), 0.0);
  for (int64_t draw = 0; draw < draws; ++draw) {
    auto generator = torch::make_generator<at::CPUGeneratorImpl>(seed + static_cast<uint64_t>(draw));
    std::vector<torch::Tensor> vectors;
    vectors.reserve(weights.size());
    for (const auto& weight : weights)
      vectors.push_back(torch::randint(0, 2, weight.sizes(), generator, torch::TensorOptions(weight.dtype())) * 2 - 1);
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      const torch::Tensor loss = chunk_loss(chunk);
      const auto gradients = torch::autograd::grad({loss}, weights, {}, /*retain_graph=*/true, /*create_graph=*/true);
      torch::Tensor inner = torch::zeros({}, loss.options());
      for (size_t i = 0; i < weights.size(); ++i) inner = inner + (gradients[i] * vectors[i]).sum();
      const auto products = torch::autograd::grad({inner}, weights, {}, /*retain_graph=*/false,
                                                  /*create_graph=*/false, /*allow_unused=*/true);
      for (size_t i = 0; i < weights.size(); ++i)
        if (products[i].defined()) sums[i] += (products[i] * vectors[i]).sum().item<double>();
    }
  }
  return sums;
}

}  // namespace quantlib::select

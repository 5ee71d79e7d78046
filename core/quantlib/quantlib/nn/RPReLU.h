#pragma once
// ReActNet's RPReLU (Liu et al. 2020): a PReLU whose kink and output are
// shifted per channel (dim 1), all three learned:
//   y = PReLU_beta(x - gamma) + zeta,  PReLU_beta(z) = z for z >= 0, beta * z below
// gamma and zeta start at 0, beta at `slope` (0.25, PReLU's default).
// Recipes select it as type `RPReLU`.
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace quantlib::nn {

class RPReLUImpl : public torch::nn::Module {
 public:
  explicit RPReLUImpl(std::int64_t channels, double slope = 0.25);
  torch::Tensor forward(const torch::Tensor& input);

  std::int64_t channels() const { return gamma.numel(); }

  torch::Tensor gamma;  // input shift [C]
  torch::Tensor beta;   // slope below the kink [C]
  torch::Tensor zeta;   // output shift [C]
};

TORCH_MODULE(RPReLU);

}  // namespace quantlib::nn

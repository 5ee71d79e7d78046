#include "support/BatchNorms.h"

#include <torch/torch.h>

namespace quantlab::test {

void randomise_batch_norms(torch::nn::Module& network) {
  torch::NoGradGuard no_grad;
  for (const auto& module : network.modules()) {
    const auto buffers = module->named_buffers(/*recurse=*/false);
    if (!buffers.contains("running_mean") || !buffers.contains("running_var")) continue;
    for (const char* statistic : {"running_mean", "running_var"})
      buffers[statistic].copy_(torch::rand_like(buffers[statistic]) + 0.5);
    for (auto& parameter : module->parameters(/*recurse=*/false)) parameter.copy_(torch::randn_like(parameter));
  }
}

}  // namespace quantlab::test

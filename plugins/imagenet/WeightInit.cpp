#include "WeightInit.h"

#include <torch/torch.h>

namespace imagenet {

void init_weights(torch::nn::Module& network, LinearInit linear) {
  torch::NoGradGuard no_grad;
  for (const auto& module : network.modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (conv->bias.defined()) torch::nn::init::zeros_(conv->bias);
    } else if (auto* fc = module->as<torch::nn::Linear>()) {
      if (linear == LinearInit::normal_001) {
        torch::nn::init::normal_(fc->weight, 0.0, 0.01);
        if (fc->bias.defined()) torch::nn::init::zeros_(fc->bias);
      }
    }
  }
}

}  // namespace imagenet

#pragma once
// Optimizers by their PyTorch names, from `training.optimizer`.
#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "quantlab/Params.h"

namespace quantlab {

// section: the `training.optimizer` map {class, params}. Throws ConfigError on an
// unknown class or parameter.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Params& section,
                                                        std::vector<torch::Tensor> parameters);

double learning_rate(const torch::optim::Optimizer& optimizer);
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
// SGD's and RMSprop's momentum, Adam's and AdamW's beta1; false for an
// optimizer without one (Adagrad).
bool set_momentum(torch::optim::Optimizer& optimizer, double momentum);
bool has_momentum(const torch::optim::Optimizer& optimizer);

}  // namespace quantlab

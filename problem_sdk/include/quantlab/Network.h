#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

namespace quantlab {

// The network a topology builds: a module with a single-tensor forward.
class Network : public torch::nn::Module {
 public:
  using torch::nn::Module::Module;
  virtual torch::Tensor forward(torch::Tensor input) = 0;
};

}  // namespace quantlab

#pragma once
// A Block whose forward calls its layers in registration order, each through
// call(name, x): unlike torch::nn::Sequential, replacing a layer or attaching
// quantizers to it changes what forward computes.
#include <string>
#include <utility>

#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "quantlib/nn/Block.h"

namespace quantlib::nn {

class SequentialImpl : public Block {
 public:
  SequentialImpl();

  template <class ModuleHolder>
  ModuleHolder push_back(const std::string& name, ModuleHolder module) {
    return add(name, std::move(module));
  }

  torch::Tensor forward(const torch::Tensor& x);
};

TORCH_MODULE(Sequential);

}  // namespace quantlib::nn

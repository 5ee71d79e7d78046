#include "quantlib/nn/Sequential.h"

namespace quantlib::nn {

SequentialImpl::SequentialImpl() : Block("Sequential") {}

torch::Tensor SequentialImpl::forward(const torch::Tensor& x) {
  torch::Tensor output = x;
  for (const auto& name : layer_names()) output = call(name, output);
  return output;
}

}  // namespace quantlib::nn

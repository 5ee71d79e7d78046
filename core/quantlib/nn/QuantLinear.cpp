#include "quantlib/nn/QuantLinear.h"

#include <utility>

#include <torch/nn/functional/linear.h>

namespace quantlib::nn {

QuantLinearImpl::QuantLinearImpl(torch::nn::Linear linear)
    : QuantizedLayer("QuantLinear"), linear_(register_module("linear", std::move(linear))) {}

QuantLinearImpl::QuantLinearImpl(const torch::nn::LinearOptions& options)
    : QuantLinearImpl(torch::nn::Linear(options)) {}

torch::Tensor QuantLinearImpl::forward(const torch::Tensor& x) {
  const torch::Tensor input = input_slot_.apply(x);
  const torch::Tensor output = weight_slot_.empty()
                                   ? linear_->forward(input)
                                   : torch::nn::functional::linear(input, weight_slot_.apply(linear_->weight),
                                                                   linear_->bias);
  return output_slot_.apply(output);
}

}  // namespace quantlib::nn

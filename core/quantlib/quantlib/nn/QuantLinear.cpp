#include "quantlib/nn/QuantLinear.h"

#include <utility>

#include <torch/nn/functional/linear.h>

namespace quantlib::nn {

QuantLinearImpl::QuantLinearImpl(torch::nn::Linear linear)
    : QuantizedLayer("QuantLinear"), linear_(register_module("linear", std::move(linear))) {}

QuantLinearImpl::QuantLinearImpl(const torch::nn::LinearOptions& options)
    : QuantLinearImpl(torch::nn::Linear(options)) {}

torch::Tensor QuantLinearImpl::forward(const torch::Tensor& x) {
  return weight_slot_.empty()
             ? linear_->forward(x)
             : torch::nn::functional::linear(x, weight_slot_.apply(linear_->weight), linear_->bias);
}

}  // namespace quantlib::nn

#include "quantlib/nn/QuantConv2d.h"

#include <utility>

namespace quantlib::nn {

namespace {

// Conv2dImpl's convolution with a given weight (padding modes, stride, groups as
// its options say) is the protected _conv_forward. Naming it through a derived
// class gives a member pointer of Conv2dImpl, callable on any Conv2dImpl: one
// LibTorch code path for both the plain and the quantized weight, instead of a
// copy of it here.
struct ConvForwardWithWeight : torch::nn::Conv2dImpl {
  static torch::Tensor call(torch::nn::Conv2dImpl& conv, const torch::Tensor& input, const torch::Tensor& weight) {
    return (conv.*&ConvForwardWithWeight::_conv_forward)(input, weight);
  }
};

}  // namespace

QuantConv2dImpl::QuantConv2dImpl(torch::nn::Conv2d conv)
    : QuantizedLayer("QuantConv2d"), conv_(register_module("conv", std::move(conv))) {}

QuantConv2dImpl::QuantConv2dImpl(const torch::nn::Conv2dOptions& options)
    : QuantConv2dImpl(torch::nn::Conv2d(options)) {}

torch::Tensor QuantConv2dImpl::forward(const torch::Tensor& x) {
  return weight_slot_.empty() ? conv_->forward(x)
                              : ConvForwardWithWeight::call(*conv_, x, weight_slot_.apply(conv_->weight));
}

}  // namespace quantlib::nn

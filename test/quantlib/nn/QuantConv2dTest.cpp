#include "quantlib/nn/QuantConv2d.h"

#include <memory>
#include <sstream>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/algorithms/lsq/LsqQuantizer.h"
#include "quantlib/ops/Lsq.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace F = torch::nn::functional;
namespace ops = quantlib::ops;
using namespace quantlib::nn;

TEST_CASE("QuantConv2d with an empty slot is the plain convolution it wraps", "[quantnn]") {
  torch::manual_seed(31);
  torch::nn::Conv2d plain(torch::nn::Conv2dOptions(2, 3, 3).padding(1).padding_mode(torch::kReflect));
  QuantConv2d layer(plain);
  CHECK(layer->conv().get() == plain.get());
  CHECK(layer->original().get() == plain.get());
  CHECK(layer->conv()->weight.data_ptr() == plain->weight.data_ptr());
  const torch::Tensor x = torch::randn({2, 2, 5, 5});
  CHECK(torch::equal(layer(x), plain(x)));
  CHECK(layer->named_parameters().contains("conv.weight"));
}

TEST_CASE("QuantConv2d: a weight quantizer changes forward exactly as the op applied by hand", "[quantnn]") {
  torch::manual_seed(32);
  QuantConv2d layer(torch::nn::Conv2dOptions(3, 4, 3).stride(2).padding(1));
  const torch::Tensor x = torch::randn({2, 3, 7, 7});
  const torch::Tensor weight = layer->conv()->weight.detach();
  const torch::Tensor bias = layer->conv()->bias.detach();
  const auto conv_by_hand = [&](const torch::Tensor& input, const torch::Tensor& w) {
    return F::conv2d(input, w, F::Conv2dFuncOptions().bias(bias).stride(2).padding(1));
  };
  const torch::Tensor plain = layer(x);
  CHECK(torch::equal(plain, conv_by_hand(x, weight)));

  auto lsq = std::make_shared<LsqQuantizer>(2, ops::Signedness::Signed, 4);
  layer->set_weight_quantizer(lsq);
  const torch::Tensor with_weight = layer(x);
  const torch::Tensor lsq_weight = ops::lsq(weight, lsq->step().detach(), 2, ops::Signedness::Signed);
  CHECK(torch::equal(with_weight, conv_by_hand(x, lsq_weight)));
  CHECK_FALSE(torch::equal(with_weight, plain));

  const auto parameters = layer->named_parameters();
  CHECK(parameters.size() == 3);
  (with_weight * torch::randn(with_weight.sizes())).sum().backward();
  for (const auto& name : {"weight_quantizer.step", "conv.weight", "conv.bias"}) {
    INFO(name);
    REQUIRE(parameters.contains(name));
    REQUIRE(parameters[name].grad().defined());
    CHECK(parameters[name].grad().abs().sum().item<float>() > 0.0f);
  }
}

TEST_CASE("QuantConv2d: the quantized weight goes through the wrapped conv's padding mode", "[quantnn]") {
  torch::manual_seed(33);
  const auto options = torch::nn::Conv2dOptions(2, 3, 3).padding(1).padding_mode(torch::kCircular);
  QuantConv2d layer(options);
  auto lsq = std::make_shared<LsqQuantizer>(3, ops::Signedness::Signed);
  layer->set_weight_quantizer(lsq);
  const torch::Tensor x = torch::randn({1, 2, 6, 6});
  const torch::Tensor y = layer(x);

  torch::nn::Conv2d plain_with_quantized_weight(options);
  {
    torch::NoGradGuard no_grad;
    plain_with_quantized_weight->weight.copy_(
        ops::lsq(layer->conv()->weight, lsq->step(), 3, ops::Signedness::Signed));
    plain_with_quantized_weight->bias.copy_(layer->conv()->bias);
  }
  CHECK(torch::equal(y, plain_with_quantized_weight(x)));
}

TEST_CASE("QuantConv2d: saved and loaded into a fresh layer with the same quantizer, outputs match", "[quantnn]") {
  torch::manual_seed(34);
  const auto options = torch::nn::Conv2dOptions(2, 2, 3);
  const auto fill = [](QuantConv2d& layer) {
    layer->set_weight_quantizer(std::make_shared<LsqQuantizer>(4, ops::Signedness::Signed, 2));
  };
  QuantConv2d trained(options);
  fill(trained);
  trained(torch::randn({1, 2, 5, 5}));
  QuantConv2d fresh(options);
  fill(fresh);
  quantlab::test::copy_state(*trained, *fresh);
  const torch::Tensor x = torch::randn({2, 2, 5, 5});
  CHECK(torch::equal(fresh(x), trained(x)));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

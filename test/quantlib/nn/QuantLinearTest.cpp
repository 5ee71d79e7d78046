#include "quantlib/nn/QuantLinear.h"

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

TEST_CASE("QuantLinear with an empty slot is the plain linear layer it wraps", "[quantnn]") {
  torch::manual_seed(21);
  torch::nn::Linear plain(5, 3);
  QuantLinear layer(plain);
  CHECK(layer->linear().get() == plain.get());
  CHECK(layer->original().get() == plain.get());
  CHECK(layer->linear()->weight.data_ptr() == plain->weight.data_ptr());
  const torch::Tensor x = torch::randn({4, 5});
  CHECK(torch::equal(layer(x), plain(x)));
  const auto parameters = layer->named_parameters();
  CHECK(parameters.size() == 2);
  CHECK(parameters.contains("linear.weight"));
  CHECK(parameters.contains("linear.bias"));
}

TEST_CASE("QuantLinear: a weight quantizer changes forward exactly as the op applied by hand", "[quantnn]") {
  torch::manual_seed(22);
  QuantLinear layer(torch::nn::LinearOptions(6, 4));
  const torch::Tensor x = torch::randn({3, 6});
  const torch::Tensor weight = layer->linear()->weight.detach();
  const torch::Tensor bias = layer->linear()->bias.detach();
  const torch::Tensor plain = layer(x);
  CHECK(torch::equal(plain, F::linear(x, weight, bias)));

  auto lsq = std::make_shared<LsqQuantizer>(3, ops::Signedness::Signed, 4);
  layer->set_weight_quantizer(lsq);
  CHECK(layer->weight_quantizer() == lsq);
  const torch::Tensor with_weight = layer(x);  // initialises the per-channel step from the weight
  REQUIRE(lsq->initialised());
  const torch::Tensor lsq_weight = ops::lsq(weight, lsq->step().detach(), 3, ops::Signedness::Signed);
  CHECK(torch::equal(with_weight, F::linear(x, lsq_weight, bias)));
  CHECK_FALSE(torch::equal(with_weight, plain));

  layer->set_weight_quantizer(nullptr);
  CHECK(torch::equal(layer(x), plain));
}

TEST_CASE("QuantLinear: the weight quantizer's parameters are listed under the slot name and get gradients",
          "[quantnn]") {
  torch::manual_seed(23);
  QuantLinear layer(torch::nn::LinearOptions(8, 4));
  layer->set_weight_quantizer(std::make_shared<LsqQuantizer>(3, ops::Signedness::Signed, 4));
  const auto parameters = layer->named_parameters();
  CHECK(parameters.size() == 3);
  REQUIRE(parameters.contains("weight_quantizer.step"));
  CHECK(layer->named_buffers().contains("weight_quantizer.initialised"));

  const torch::Tensor output = layer(torch::randn({16, 8}) * 2);
  (output * torch::randn(output.sizes())).sum().backward();
  for (const auto& name : {"weight_quantizer.step", "linear.weight", "linear.bias"}) {
    INFO(name);
    const torch::Tensor grad = parameters[name].grad();
    REQUIRE(grad.defined());
    CHECK(grad.abs().sum().item<float>() > 0.0f);
  }
}

TEST_CASE("QuantLinear: saved and loaded into a fresh layer with the same quantizer, outputs match", "[quantnn]") {
  torch::manual_seed(24);
  QuantLinear trained(torch::nn::LinearOptions(6, 3));
  trained->set_weight_quantizer(std::make_shared<LsqQuantizer>(3, ops::Signedness::Signed, 3));
  trained(torch::randn({5, 6}));  // the first batch initialises LSQ
  {
    torch::NoGradGuard no_grad;
    std::dynamic_pointer_cast<LsqQuantizer>(trained->weight_quantizer())->step().mul_(1.5f);
  }
  QuantLinear fresh(torch::nn::LinearOptions(6, 3));
  fresh->set_weight_quantizer(std::make_shared<LsqQuantizer>(3, ops::Signedness::Signed, 3));
  quantlab::test::copy_state(*trained, *fresh);

  // Had the loaded layer initialised its step again, outputs would differ.
  const torch::Tensor x = torch::randn({5, 6}) * 7;
  CHECK(torch::equal(fresh(x), trained(x)));
}

TEST_CASE("QuantLinear: a disabled weight quantizer is the identity", "[quantnn]") {
  torch::manual_seed(25);
  QuantLinear layer(torch::nn::LinearOptions(6, 3));
  const torch::Tensor x = torch::randn({2, 6}) * 3;
  const torch::Tensor plain = layer(x);
  layer->set_weight_quantizer(std::make_shared<LsqQuantizer>(2, ops::Signedness::Signed, 3));
  CHECK_FALSE(torch::equal(layer(x), plain));
  layer->weight_quantizer()->set_enabled(false);
  CHECK(torch::equal(layer(x), plain));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

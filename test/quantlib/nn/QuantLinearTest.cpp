#include "quantlib/nn/QuantLinear.h"

#include <memory>
#include <sstream>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/nn/LsqQuantizer.h"
#include "quantlib/nn/PactQuantizer.h"
#include "quantlib/nn/TqtQuantizer.h"
#include "quantlib/ops/Lsq.h"
#include "quantlib/ops/Pact.h"
#include "quantlib/ops/Tqt.h"

namespace F = torch::nn::functional;
namespace ops = quantlib::ops;
using namespace quantlib::nn;

namespace {

void fill_all_slots(QuantLinear& layer, int64_t out_features) {
  layer->set_input_quantizer(std::make_shared<PactQuantizer>(4, ops::Signedness::Signed, 0.8));
  layer->set_weight_quantizer(std::make_shared<LsqQuantizer>(3, ops::Signedness::Signed, out_features));
  layer->set_output_quantizer(std::make_shared<TqtQuantizer>(6, ops::Signedness::Signed));
}

}  // namespace

TEST_CASE("QuantLinear with empty slots is the plain linear layer it wraps", "[quantnn]") {
  torch::manual_seed(21);
  torch::nn::Linear plain(5, 3);
  QuantLinear layer(plain);
  CHECK(layer->linear().get() == plain.get());
  const torch::Tensor x = torch::randn({4, 5});
  CHECK(torch::equal(layer(x), plain(x)));
  const auto parameters = layer->named_parameters();
  CHECK(parameters.size() == 2);
  CHECK(parameters.contains("linear.weight"));
  CHECK(parameters.contains("linear.bias"));
}

TEST_CASE("QuantLinear: each filled slot changes forward exactly as the op applied by hand", "[quantnn]") {
  torch::manual_seed(22);
  QuantLinear layer(torch::nn::LinearOptions(6, 4));
  const torch::Tensor x = torch::randn({3, 6});
  const torch::Tensor weight = layer->linear()->weight.detach();
  const torch::Tensor bias = layer->linear()->bias.detach();
  const torch::Tensor plain = layer(x);

  auto pact = std::make_shared<PactQuantizer>(4, ops::Signedness::Signed, 0.8);
  layer->set_input_quantizer(pact);
  const torch::Tensor pact_x = ops::pact(x, pact->alpha().detach(), 4, ops::Signedness::Signed);
  const torch::Tensor with_input = layer(x);
  CHECK(torch::equal(with_input, F::linear(pact_x, weight, bias)));
  CHECK_FALSE(torch::equal(with_input, plain));

  auto lsq = std::make_shared<LsqQuantizer>(3, ops::Signedness::Signed, 4);
  layer->set_weight_quantizer(lsq);
  const torch::Tensor with_weight = layer(x);  // initialises the per-channel step from the weight
  REQUIRE(lsq->initialised());
  const torch::Tensor lsq_weight = ops::lsq(weight, lsq->step().detach(), 3, ops::Signedness::Signed);
  CHECK(torch::equal(with_weight, F::linear(pact_x, lsq_weight, bias)));
  CHECK_FALSE(torch::equal(with_weight, with_input));

  auto tqt = std::make_shared<TqtQuantizer>(6, ops::Signedness::Signed);
  layer->set_output_quantizer(tqt);
  const torch::Tensor with_output = layer(x);
  const torch::Tensor by_hand = ops::tqt(F::linear(pact_x, lsq_weight, bias), tqt->log2_t().detach(), 6,
                                         ops::Signedness::Signed);
  CHECK(torch::equal(with_output, by_hand));
}

TEST_CASE("QuantLinear: slot quantizers' parameters are listed under the slot names and get gradients",
          "[quantnn]") {
  torch::manual_seed(23);
  QuantLinear layer(torch::nn::LinearOptions(8, 4));
  fill_all_slots(layer, 4);
  const auto parameters = layer->named_parameters();
  CHECK(parameters.size() == 5);
  REQUIRE(parameters.contains("input_quantizer.alpha"));
  REQUIRE(parameters.contains("weight_quantizer.step"));
  REQUIRE(parameters.contains("output_quantizer.log2_t"));
  CHECK(layer->named_buffers().contains("weight_quantizer.initialised"));

  const torch::Tensor output = layer(torch::randn({16, 8}) * 2);
  (output * torch::randn(output.sizes())).sum().backward();
  for (const auto& name :
       {"input_quantizer.alpha", "weight_quantizer.step", "output_quantizer.log2_t", "linear.weight"}) {
    INFO(name);
    const torch::Tensor grad = parameters[name].grad();
    REQUIRE(grad.defined());
    CHECK(grad.abs().sum().item<float>() > 0.0f);
  }
}

TEST_CASE("QuantLinear: saved and loaded into a fresh layer with the same slots, outputs match", "[quantnn]") {
  torch::manual_seed(24);
  QuantLinear trained(torch::nn::LinearOptions(6, 3));
  fill_all_slots(trained, 3);
  trained(torch::randn({5, 6}));  // the first batch initialises LSQ and TQT
  {
    torch::NoGradGuard no_grad;
    std::dynamic_pointer_cast<PactQuantizer>(trained->input_quantizer())->alpha().fill_(1.3f);
  }
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    trained->save(archive);
    archive.save_to(stream);
  }
  QuantLinear fresh(torch::nn::LinearOptions(6, 3));
  fill_all_slots(fresh, 3);
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  fresh->load(archive);

  // Another batch than the initialising one: had the loaded layer initialised
  // again, its step and threshold would differ.
  const torch::Tensor x = torch::randn({5, 6}) * 7;
  CHECK(torch::equal(fresh(x), trained(x)));
  CHECK(torch::equal(std::dynamic_pointer_cast<PactQuantizer>(fresh->input_quantizer())->alpha(),
                     torch::full({1}, 1.3f)));
}

TEST_CASE("QuantLinear: a disabled quantizer in a slot is the identity", "[quantnn]") {
  torch::manual_seed(25);
  QuantLinear layer(torch::nn::LinearOptions(6, 3));
  const torch::Tensor x = torch::randn({2, 6}) * 3;
  const torch::Tensor plain = layer(x);
  fill_all_slots(layer, 3);
  for (const auto& quantizer : {layer->input_quantizer(), layer->weight_quantizer(), layer->output_quantizer()})
    quantizer->set_enabled(false);
  CHECK(torch::equal(layer(x), plain));
}

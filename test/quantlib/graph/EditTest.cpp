#include "quantlib/graph/Edit.h"

#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/graph/GraphTesting.h"
#include "quantlib/graph/Rule.h"
#include "quantlib/algorithms/lsq/LsqQuantizer.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/ops/Lsq.h"
#include "quantlib/ops/Pact.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace F = torch::nn::functional;
using namespace quantlib;
using graph::Rule;
using graph::test::SmallNet;

namespace {

using Activation = std::function<torch::Tensor(const torch::Tensor&)>;
const Activation identity = [](const torch::Tensor& x) { return x; };

// SmallNet's forward written out with its current parameters (eval mode);
// conv2's and fc1's weights given, so that quantized weights can be put in,
// and what happens to the input and to relu3's output.
torch::Tensor small_net_by_hand(SmallNet& network, const torch::Tensor& x, const torch::Tensor& conv2_weight,
                                const torch::Tensor& fc1_weight, const Activation& on_input = identity,
                                const Activation& after_relu3 = identity) {
  const auto params = network.named_parameters();
  const auto buffers = network.named_buffers();
  const auto norm = [&](const torch::Tensor& input, const std::string& name) {
    return F::batch_norm(input, buffers[name + ".running_mean"], buffers[name + ".running_var"],
                         F::BatchNormFuncOptions().weight(params[name + ".weight"]).bias(params[name + ".bias"]));
  };
  const std::string conv1 = params.contains("features.conv1.weight") ? "features.conv1." : "features.conv1.conv.";
  torch::Tensor h = F::conv2d(on_input(x), params[conv1 + "weight"],
                              F::Conv2dFuncOptions().bias(params[conv1 + "bias"]).padding(1));
  h = torch::relu(norm(h, "features.bn1"));
  h = torch::relu(norm(F::conv2d(h, conv2_weight, F::Conv2dFuncOptions().padding(1)), "features.bn2"));
  h = F::max_pool2d(h, F::MaxPool2dFuncOptions(2)).flatten(1);
  const std::string fc1 = params.contains("fc1.bias") ? "fc1." : "fc1.linear.";
  h = after_relu3(torch::relu(norm(F::linear(h, fc1_weight, params[fc1 + "bias"]), "bn3")));
  return F::linear(h, params["head.linear.weight"], params["head.linear.bias"]);
}

}  // namespace

TEST_CASE("replace_with_twins keeps the parameter tensors and, with a weight quantizer, changes forward",
          "[graph]") {
  torch::manual_seed(71);
  auto network = std::make_shared<SmallNet>();
  network->eval();
  const torch::Tensor x = torch::randn({3, 2, 4, 4});
  const torch::Tensor plain = network->forward(x);
  const torch::Tensor conv2_weight = network->features->layer("conv2")->named_parameters()["weight"];
  const torch::Tensor fc1_weight = network->layer("fc1")->named_parameters()["weight"];
  REQUIRE(torch::allclose(plain, small_net_by_hand(*network, x, conv2_weight, fc1_weight), 1e-5, 1e-6));
  const auto names_before = network->named_parameters().keys();

  CHECK(graph::replace_with_twins(*network, {}).empty());
  const auto selected = graph::select(*network, Rule::any_of({Rule::name("features.conv2"), Rule::name("fc1")}));
  const auto made = graph::replace_with_twins(*network, selected);
  REQUIRE(made.size() == 2);
  auto conv_twin = std::dynamic_pointer_cast<nn::QuantConv2dImpl>(made.at("features.conv2"));
  auto linear_twin = std::dynamic_pointer_cast<nn::QuantLinearImpl>(made.at("fc1"));
  REQUIRE(conv_twin);
  REQUIRE(linear_twin);
  CHECK(network->features->layer("conv2").get() == conv_twin.get());
  CHECK(network->layer("fc1").get() == linear_twin.get());
  CHECK_FALSE(conv_twin->is_training());  // the network's mode
  // The very tensors, not copies: an optimizer built before still trains them.
  CHECK(conv_twin->conv()->weight.data_ptr() == conv2_weight.data_ptr());
  CHECK(linear_twin->linear()->weight.data_ptr() == fc1_weight.data_ptr());
  CHECK(network->named_parameters().size() == names_before.size());
  CHECK(network->named_parameters().contains("features.conv2.conv.weight"));
  CHECK(torch::equal(network->forward(x), plain));

  auto conv_lsq = std::make_shared<nn::LsqQuantizer>(2, ops::Signedness::Signed);
  auto linear_lsq = std::make_shared<nn::LsqQuantizer>(3, ops::Signedness::Signed, 8);
  conv_twin->set_weight_quantizer(conv_lsq);
  linear_twin->set_weight_quantizer(linear_lsq);
  const torch::Tensor quantized = network->forward(x);  // initialises the steps
  const torch::Tensor expected = small_net_by_hand(
      *network, x, ops::lsq(conv2_weight, conv_lsq->step(), 2, ops::Signedness::Signed),
      ops::lsq(fc1_weight, linear_lsq->step(), 3, ops::Signedness::Signed));
  CHECK(torch::allclose(quantized, expected, 1e-5, 1e-6));
  CHECK_FALSE(torch::allclose(quantized, plain, 1e-3, 1e-3));

  // A twin selected again (a second rule on "Conv2d") stays as it is.
  const auto again = graph::replace_with_twins(*network, graph::select(*network, Rule::type("Conv2d")));
  CHECK(again.at("features.conv2").get() == conv_twin.get());
  CHECK(std::dynamic_pointer_cast<nn::QuantConv2dImpl>(again.at("features.conv1")));
  CHECK(conv_twin->weight_quantizer() == conv_lsq);
}

TEST_CASE("replace_with_twins refuses types without twin and layers no Block calls, changing nothing",
          "[graph]") {
  auto network = std::make_shared<SmallNet>();
  const auto conv1 = network->features->layer("conv1");
  CHECK_THROWS_WITH(
      graph::replace_with_twins(*network, graph::select(*network, Rule::regex("features\\.(conv1|bn1)"))),
      Catch::Contains("layer 'features.bn1' is a BatchNorm2d") && Catch::Contains("no quantized twin"));
  CHECK(network->features->layer("conv1").get() == conv1.get());
  CHECK_THROWS_WITH(graph::replace_with_twins(*network, graph::select(*network, Rule::type("Linear"))),
                    Catch::Contains("'head.linear'") && Catch::Contains("not called by a quantlib::nn::Block"));
  CHECK(std::dynamic_pointer_cast<torch::nn::LinearImpl>(network->layer("fc1")));
}

TEST_CASE("insert_before and insert_after put activation quantizers around a layer", "[graph]") {
  torch::manual_seed(72);
  auto network = std::make_shared<SmallNet>();
  network->eval();
  const torch::Tensor x = torch::randn({2, 2, 4, 4});
  const torch::Tensor plain = network->forward(x);

  auto before = std::make_shared<nn::PactQuantizer>(3, ops::Signedness::Signed, 1.5);
  auto after = std::make_shared<nn::PactQuantizer>(2, ops::Signedness::Unsigned, 0.5);
  graph::insert_before(*network, "features.conv1", before);
  graph::insert_after(*network, "relu3", after);
  CHECK(network->features->input_quantizer("conv1") == before);
  CHECK(network->output_quantizer("relu3") == after);
  CHECK_FALSE(after->is_training());

  const auto params = network->named_parameters();
  const torch::Tensor output = network->forward(x);
  const torch::Tensor expected = small_net_by_hand(
      *network, x, params["features.conv2.weight"], params["fc1.weight"],
      [](const torch::Tensor& input) { return ops::pact(input, torch::full({1}, 1.5f), 3, ops::Signedness::Signed); },
      [](const torch::Tensor& h) { return ops::pact(h, torch::full({1}, 0.5f), 2, ops::Signedness::Unsigned); });
  CHECK(torch::allclose(output, expected, 1e-5, 1e-6));
  CHECK_FALSE(torch::allclose(output, plain, 1e-3, 1e-3));
  CHECK(torch::allclose(plain, small_net_by_hand(*network, x, params["features.conv2.weight"], params["fc1.weight"]),
                        1e-5, 1e-6));

  graph::insert_before(*network, "features.conv1", nullptr);
  graph::insert_after(*network, "relu3", nullptr);
  CHECK(torch::equal(network->forward(x), plain));

  CHECK_THROWS_WITH(graph::insert_after(*network, "head.linear", after),
                    Catch::Contains("'head.linear'") && Catch::Contains("not called by a quantlib::nn::Block"));
  CHECK_THROWS_WITH(graph::insert_before(*network, "fc9", before), Catch::Contains("'fc9'"));
}

TEST_CASE("a network with twins and inserted quantizers round-trips through its state dict", "[graph]") {
  torch::manual_seed(73);
  const auto quantize = [](SmallNet& network) {
    auto twins = graph::replace_with_twins(network, graph::select(network, Rule::type("Conv2d")));
    twins.at("features.conv1")->set_weight_quantizer(std::make_shared<nn::LsqQuantizer>(4, ops::Signedness::Signed));
    graph::insert_after(network, "features.relu1",
                        std::make_shared<nn::PactQuantizer>(4, ops::Signedness::Unsigned, 2.0));
    graph::insert_before(network, "fc1", std::make_shared<nn::PactQuantizer>(4, ops::Signedness::Unsigned, 2.0));
  };
  auto trained = std::make_shared<SmallNet>();
  quantize(*trained);
  trained->forward(torch::randn({4, 2, 4, 4}));  // initialises LSQ, moves running statistics
  {
    torch::NoGradGuard no_grad;
    trained->named_parameters()["features.relu1_output_quantizer.alpha"].fill_(0.7f);
    trained->named_parameters()["fc1_input_quantizer.alpha"].fill_(1.3f);
  }
  auto fresh = std::make_shared<SmallNet>();
  quantize(*fresh);
  quantlab::test::copy_state(*trained, *fresh);

  for (const auto& parameter : trained->named_parameters()) {
    INFO(parameter.key());
    CHECK(torch::equal(fresh->named_parameters()[parameter.key()], parameter.value()));
  }
  trained->eval();
  fresh->eval();
  const torch::Tensor x = torch::randn({3, 2, 4, 4});
  CHECK(torch::equal(fresh->forward(x), trained->forward(x)));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

#include "quantlib/nn/Sequential.h"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/ops/Pact.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::PactQuantizer;
using quantlib::nn::Sequential;

TEST_CASE("Sequential calls its layers in order", "[graph]") {
  torch::manual_seed(61);
  Sequential sequential;
  auto first = sequential->push_back("first", torch::nn::Linear(4, 5));
  sequential->push_back("relu", torch::nn::ReLU());
  auto second = sequential->push_back("second", torch::nn::Linear(5, 3));
  CHECK(sequential->layer_names() == std::vector<std::string>{"first", "relu", "second"});
  CHECK(sequential->name() == "Sequential");
  const torch::Tensor x = torch::randn({2, 4});
  CHECK(torch::equal(sequential(x), second(torch::relu(first(x)))));
}

TEST_CASE("Sequential: replacing a layer or inserting a quantizer changes forward, unlike torch's", "[graph]") {
  torch::manual_seed(62);
  torch::nn::Linear first(4, 5);
  torch::nn::Linear second(5, 3);
  Sequential ours;
  ours->push_back("first", first);
  ours->push_back("relu", torch::nn::ReLU());
  ours->push_back("second", second);
  torch::nn::Sequential theirs(first, torch::nn::ReLU(), second);
  const torch::Tensor x = torch::randn({6, 4});
  const torch::Tensor plain = theirs->forward(x);
  REQUIRE(torch::equal(ours(x), plain));

  // torch's Sequential keeps calling its own list after replace_module.
  theirs->replace_module("1", torch::nn::Identity());
  CHECK(torch::equal(theirs->forward(x), plain));

  ours->replace_layer("relu", torch::nn::Identity());
  CHECK(torch::equal(ours(x), second(first(x))));
  CHECK_FALSE(torch::equal(ours(x), plain));

  ours->set_output_quantizer("first", std::make_shared<PactQuantizer>(2, ops::Signedness::Signed, 0.5));
  CHECK(torch::equal(ours(x), second(ops::pact(first(x), torch::full({1}, 0.5f), 2, ops::Signedness::Signed))));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

#include "quantlib/nn/Block.h"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/ops/Pact.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace F = torch::nn::functional;
namespace ops = quantlib::ops;
using quantlib::nn::Block;
using quantlib::nn::LayerObserver;
using quantlib::nn::ObserveLayers;
using quantlib::nn::PactQuantizer;

namespace {

// linear 4 -> 6, ReLU, linear 6 -> 2, each called by name.
struct TwoLinear : Block {
  TwoLinear() {
    first = add("first", torch::nn::Linear(4, 6));
    add("relu", torch::nn::ReLU());
    second = add("second", torch::nn::Linear(6, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) { return call("second", call("relu", call("first", x))); }

  torch::nn::Linear first{nullptr};
  torch::nn::Linear second{nullptr};
};

torch::Tensor by_hand(const torch::nn::Linear& first, const torch::nn::Linear& second, const torch::Tensor& x) {
  return F::linear(torch::relu(F::linear(x, first->weight, first->bias)), second->weight, second->bias);
}

struct Seen {
  const torch::nn::Module* layer;
  torch::Tensor input;
  torch::Tensor output;
};

struct Recorder : LayerObserver {
  void observe(const torch::nn::Module& layer, const torch::Tensor& input, const torch::Tensor& output) override {
    seen.push_back({&layer, input, output});
  }
  std::vector<Seen> seen;
};

}  // namespace

TEST_CASE("Block registers its layers in order and calls them by name", "[graph]") {
  torch::manual_seed(51);
  auto block = std::make_shared<TwoLinear>();
  CHECK(block->layer_names() == std::vector<std::string>{"first", "relu", "second"});
  CHECK(block->has_layer("relu"));
  CHECK_FALSE(block->has_layer("third"));
  CHECK(block->layer("first").get() == block->first.get());
  CHECK(block->named_children()["second"].get() == block->second.get());
  CHECK(block->named_parameters().contains("first.weight"));
  const torch::Tensor x = torch::randn({3, 4});
  CHECK(torch::equal(block->forward(x), by_hand(block->first, block->second, x)));
}

TEST_CASE("Block::replace_layer changes what forward computes and keeps the registry in step", "[graph]") {
  torch::manual_seed(52);
  auto block = std::make_shared<TwoLinear>();
  const torch::Tensor x = torch::randn({3, 4});
  const torch::Tensor before = block->forward(x);

  torch::nn::Linear replacement(6, 2);
  block->replace_layer("second", replacement);
  const torch::Tensor after = block->forward(x);
  CHECK(torch::equal(after, by_hand(block->first, replacement, x)));
  CHECK_FALSE(torch::equal(after, before));
  CHECK(block->layer("second").get() == replacement.get());
  CHECK(block->named_children()["second"].get() == replacement.get());
  CHECK(block->named_parameters()["second.weight"].data_ptr() == replacement->weight.data_ptr());
  CHECK(block->layer_names() == std::vector<std::string>{"first", "relu", "second"});

  // Type-erased: any module with a tensor -> tensor forward.
  block->replace_layer("relu", torch::nn::AnyModule(torch::nn::Tanh()));
  CHECK(torch::allclose(block->forward(x),
                        F::linear(torch::tanh(block->first(x)), replacement->weight, replacement->bias)));
}

TEST_CASE("Block::replace_layer gives the new layer the block's training mode", "[graph]") {
  auto block = std::make_shared<TwoLinear>();
  block->eval();
  torch::nn::Dropout dropout(0.5);
  REQUIRE(dropout->is_training());
  block->replace_layer("relu", dropout);
  CHECK_FALSE(dropout->is_training());
  const torch::Tensor x = torch::randn({8, 4});
  // Dropout in eval mode is the identity.
  CHECK(torch::equal(block->forward(x), block->second(block->first(x))));
}

TEST_CASE("Block input and output quantizers: call computes out_q(layer(in_q(x)))", "[graph]") {
  torch::manual_seed(53);
  auto block = std::make_shared<TwoLinear>();
  const torch::Tensor x = torch::randn({5, 4}) * 2;
  const torch::Tensor plain = block->forward(x);

  auto input_pact = std::make_shared<PactQuantizer>(3, ops::Signedness::Signed, 1.0);
  auto output_pact = std::make_shared<PactQuantizer>(2, ops::Signedness::Unsigned, 0.75);
  block->set_input_quantizer("first", input_pact);
  block->set_output_quantizer("relu", output_pact);
  CHECK(block->input_quantizer("first") == input_pact);
  CHECK(block->output_quantizer("relu") == output_pact);
  CHECK(block->input_quantizer("second") == nullptr);

  const torch::Tensor quantized_x = ops::pact(x, torch::full({1}, 1.0f), 3, ops::Signedness::Signed);
  const torch::Tensor hidden = ops::pact(torch::relu(block->first(quantized_x)), torch::full({1}, 0.75f), 2,
                                         ops::Signedness::Unsigned);
  const torch::Tensor output = block->forward(x);
  CHECK(torch::equal(output, block->second(hidden)));
  CHECK_FALSE(torch::equal(output, plain));

  // Children of the block: they train and travel in checkpoints.
  const auto parameters = block->named_parameters();
  REQUIRE(parameters.contains("first_input_quantizer.alpha"));
  REQUIRE(parameters.contains("relu_output_quantizer.alpha"));
  (output * torch::randn(output.sizes())).sum().backward();
  CHECK(parameters["relu_output_quantizer.alpha"].grad().defined());
  // Layer names are the layers only.
  CHECK(block->layer_names() == std::vector<std::string>{"first", "relu", "second"});

  // Replacing a quantizer, then removing both.
  auto other = std::make_shared<PactQuantizer>(2, ops::Signedness::Unsigned, 2.0);
  block->set_output_quantizer("relu", other);
  CHECK(block->named_children()["relu_output_quantizer"].get() == other.get());
  block->set_input_quantizer("first", nullptr);
  block->set_output_quantizer("relu", nullptr);
  CHECK_FALSE(block->named_children().contains("first_input_quantizer"));
  CHECK_FALSE(block->named_children().contains("relu_output_quantizer"));
  CHECK(block->named_parameters().size() == 4);
  CHECK(torch::equal(block->forward(x), plain));
}

// A layer that counts its calls, to see whether the block skips it.
struct CountingRelu : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) {
    ++calls;
    return torch::relu(x);
  }
  int calls = 0;
};

TEST_CASE("Block: a substituting output quantizer skips its layer while enabled, not while disabled", "[graph]") {
  torch::manual_seed(59);
  Block block;
  auto relu = std::make_shared<CountingRelu>();
  block.add("relu", relu);
  auto pact = std::make_shared<PactQuantizer>(2, ops::Signedness::Unsigned, 0.75);
  block.set_output_quantizer("relu", pact, /*substitutes=*/true);
  CHECK(block.output_quantizer_substitutes("relu"));
  const torch::Tensor x = torch::randn({64}) * 2;

  CHECK(torch::equal(block.call("relu", x), ops::pact(x, torch::full({1}, 0.75f), 2, ops::Signedness::Unsigned)));
  CHECK(relu->calls == 0);
  // Disabled, the quantizer is the identity and the ReLU computes.
  pact->set_enabled(false);
  CHECK(torch::equal(block.call("relu", x), torch::relu(x)));
  CHECK(relu->calls == 1);
  // Another quantizer without the flag, or none: the layer always runs.
  block.set_output_quantizer("relu", std::make_shared<PactQuantizer>(2, ops::Signedness::Unsigned, 0.75));
  CHECK_FALSE(block.output_quantizer_substitutes("relu"));
  block.call("relu", x);
  CHECK(relu->calls == 2);
  block.set_output_quantizer("relu", nullptr, /*substitutes=*/true);
  CHECK_FALSE(block.output_quantizer_substitutes("relu"));
  CHECK(torch::equal(block.call("relu", x), torch::relu(x)));
  CHECK(relu->calls == 3);
}

TEST_CASE("Block refuses unknown and duplicate layer names, naming them", "[graph]") {
  auto block = std::make_shared<TwoLinear>();
  const torch::Tensor x = torch::randn({1, 4});
  CHECK_THROWS_WITH(block->call("third", x), Catch::Contains("no layer named 'third'"));
  CHECK_THROWS_AS(block->replace_layer("third", torch::nn::ReLU()), c10::Error);
  CHECK_THROWS_WITH(block->set_input_quantizer("thrid", nullptr), Catch::Contains("'thrid'"));
  CHECK_THROWS_AS(block->set_output_quantizer("third", nullptr), c10::Error);
  CHECK_THROWS_AS(block->input_quantizer("third"), c10::Error);
  CHECK_THROWS_AS(block->layer("third"), c10::Error);
  CHECK_THROWS_WITH(block->add("relu", torch::nn::ReLU()), Catch::Contains("'relu' is already registered"));
  CHECK_THROWS_AS(block->add("empty", torch::nn::Linear(nullptr)), c10::Error);
  CHECK(block->layer_names().size() == 3);
}

TEST_CASE("LayerObserver sees each called layer once per call with its input and output", "[graph]") {
  torch::manual_seed(54);
  auto block = std::make_shared<TwoLinear>();
  block->set_input_quantizer("first", std::make_shared<PactQuantizer>(2, ops::Signedness::Signed, 0.5));
  block->set_output_quantizer("second", std::make_shared<PactQuantizer>(2, ops::Signedness::Signed, 0.25));
  const torch::Tensor x = torch::randn({7, 4});
  Recorder recorder;
  torch::Tensor output;
  {
    ObserveLayers guard(recorder);
    output = block->forward(x);
  }
  REQUIRE(recorder.seen.size() == 3);
  CHECK(recorder.seen[0].layer == block->first.get());
  CHECK(recorder.seen[1].layer == block->layer("relu").get());
  CHECK(recorder.seen[2].layer == block->second.get());
  // Input before the input quantizer, output after the output quantizer.
  CHECK(torch::equal(recorder.seen[0].input, x));
  CHECK(recorder.seen[0].output.sizes() == torch::IntArrayRef({7, 6}));
  CHECK(recorder.seen[1].input.sizes() == torch::IntArrayRef({7, 6}));
  CHECK(torch::equal(recorder.seen[1].output, recorder.seen[2].input));
  CHECK(torch::equal(recorder.seen[2].output, output));

  // The observed layer is a registered module: named_modules names it.
  for (const auto& item : block->named_modules("", /*include_self=*/false))
    if (item.value().get() == recorder.seen[1].layer) CHECK(item.key() == "relu");

  // Gone with the guard.
  block->forward(x);
  CHECK(recorder.seen.size() == 3);
}

TEST_CASE("ObserveLayers guards nest and nested Blocks are reported after their layers", "[graph]") {
  quantlib::nn::Sequential inner;
  inner->push_back("linear", torch::nn::Linear(3, 3));
  inner->push_back("relu", torch::nn::ReLU());
  quantlib::nn::Sequential outer;
  outer->push_back("inner", inner);
  outer->push_back("head", torch::nn::Linear(3, 1));

  Recorder outer_recorder;
  Recorder inner_recorder;
  ObserveLayers outer_guard(outer_recorder);
  {
    ObserveLayers inner_guard(inner_recorder);
    outer(torch::randn({2, 3}));
  }
  outer(torch::randn({2, 3}));
  REQUIRE(inner_recorder.seen.size() == 4);
  CHECK(inner_recorder.seen[0].layer == inner->layer("linear").get());
  CHECK(inner_recorder.seen[1].layer == inner->layer("relu").get());
  CHECK(inner_recorder.seen[2].layer == inner.get());
  CHECK(inner_recorder.seen[3].layer == outer->layer("head").get());
  CHECK(inner_recorder.seen[3].output.sizes() == torch::IntArrayRef({2, 1}));
  CHECK(outer_recorder.seen.size() == 4);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

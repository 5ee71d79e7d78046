#include "quantlib/nn/QuantizerSlot.h"

#include <memory>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/ops/Pact.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using namespace quantlib::nn;

namespace {

struct OwnerWithSlot : torch::nn::Module {
  QuantizerSlot slot{*this, "slot_quantizer"};
};

}  // namespace

TEST_CASE("QuantizerSlot: refilling swaps the child, emptying unregisters it and restores identity",
          "[quantnn]") {
  OwnerWithSlot owner;
  const torch::Tensor x = torch::linspace(-2, 2, 17);
  CHECK(owner.slot.empty());
  CHECK(torch::equal(owner.slot.apply(x), x));

  auto first = std::make_shared<PactQuantizer>(2, ops::Signedness::Signed, 1.0);
  owner.slot.fill(first);
  CHECK(owner.named_children()["slot_quantizer"].get() == first.get());
  CHECK(torch::equal(owner.slot.apply(x), ops::pact(x, torch::full({1}, 1.0f), 2, ops::Signedness::Signed)));

  auto second = std::make_shared<PactQuantizer>(2, ops::Signedness::Signed, 0.5);
  owner.slot.fill(second);
  const auto parameters = owner.named_parameters();
  REQUIRE(parameters.size() == 1);
  CHECK(parameters["slot_quantizer.alpha"].item<float>() == 0.5f);
  CHECK(torch::equal(owner.slot.apply(x), ops::pact(x, torch::full({1}, 0.5f), 2, ops::Signedness::Signed)));

  owner.slot.fill(nullptr);
  CHECK(owner.slot.empty());
  CHECK_FALSE(owner.named_children().contains("slot_quantizer"));
  CHECK(owner.named_parameters().is_empty());
  CHECK(torch::equal(owner.slot.apply(x), x));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

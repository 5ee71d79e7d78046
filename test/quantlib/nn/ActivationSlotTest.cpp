#include "quantlib/nn/ActivationSlot.h"

#include <memory>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/nn/PactQuantizer.h"
#include "quantlib/nn/SteQuantizer.h"
#include "quantlib/ops/Pact.h"
#include "quantlib/ops/UniformSte.h"

namespace ops = quantlib::ops;
using namespace quantlib::nn;

TEST_CASE("ActivationSlot is the identity until filled", "[quantnn]") {
  ActivationSlot slot;
  const torch::Tensor x = torch::randn({3, 4});
  CHECK(torch::equal(slot(x), x));
  CHECK(slot->named_parameters().is_empty());
}

TEST_CASE("ActivationSlot inside a Sequential: filling it after construction changes the network", "[quantnn]") {
  // The LibTorch caveat: Sequential calls its own list, so replace_module on it
  // would change nothing. Filling the slot of the module already in the list does.
  torch::manual_seed(41);
  torch::nn::Linear first(4, 6);
  torch::nn::Linear second(6, 2);
  torch::nn::Sequential network(first, torch::nn::ReLU(), ActivationSlot(), second);
  const torch::Tensor x = torch::randn({5, 4});
  const torch::Tensor plain = network->forward(x);
  CHECK(torch::equal(plain, second(torch::relu(first(x)))));

  std::shared_ptr<ActivationSlotImpl> found;
  for (const auto& item : network->named_modules()) {
    if (auto slot = std::dynamic_pointer_cast<ActivationSlotImpl>(item.value())) found = slot;
  }
  REQUIRE(found);
  found->set_quantizer(std::make_shared<PactQuantizer>(2, ops::Signedness::Unsigned, 0.5));
  const torch::Tensor quantized = network->forward(x);
  const torch::Tensor by_hand =
      second(ops::pact(torch::relu(first(x)), torch::full({1}, 0.5f), 2, ops::Signedness::Unsigned));
  CHECK(torch::equal(quantized, by_hand));
  CHECK_FALSE(torch::equal(quantized, plain));

  const auto parameters = network->named_parameters();
  REQUIRE(parameters.contains("2.quantizer.alpha"));
  quantized.sum().backward();
  REQUIRE(parameters["2.quantizer.alpha"].grad().defined());
}

TEST_CASE("ActivationSlot with an STE quantizer: monitor an epoch, then quantize", "[quantnn]") {
  torch::manual_seed(42);
  ActivationSlot slot;
  auto ste = std::make_shared<SteQuantizer>(255);
  slot->set_quantizer(ste);
  const torch::Tensor x = torch::randn({8, 8});
  ste->set_monitoring(true);
  CHECK(torch::equal(slot(x), x));
  ste->set_monitoring(false);
  ste->set_enabled(true);
  CHECK(torch::equal(slot(x), ops::uniform_ste(x, 255, x.abs().max().item<double>())));
  CHECK(slot->named_buffers().contains("quantizer.abs_max"));
}

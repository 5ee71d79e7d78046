#include "quantlib/algorithms/inq/InqQuantizer.h"

#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/ops/Inq.h"
#include "support/ModuleState.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::nn::InqLevelSet;
using quantlib::nn::InqQuantizer;
using quantlib::nn::InqStrategy;

namespace {

at::Generator generator_with(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor frozen_mask(const InqQuantizer& quantizer) { return quantizer.frozen().isnan().logical_not(); }

}  // namespace

TEST_CASE("InqQuantizer: attached, nothing frozen, it is the identity", "[inq]") {
  torch::manual_seed(1);
  InqQuantizer quantizer(InqLevelSet::power_of_two(5));
  const torch::Tensor w = torch::randn({4, 5}, torch::requires_grad());
  quantizer.attach(w);
  REQUIRE(quantizer.frozen().sizes() == w.sizes());
  REQUIRE(quantizer.frozen().isnan().all().item<bool>());
  CHECK(torch::equal(quantizer.forward(w), w));
  CHECK(quantizer.frozen_fraction() == 0.0);
  CHECK(quantizer.bits() == 5);
  CHECK(InqQuantizer(InqLevelSet::power_of_two(2)).bits() == 2);
  CHECK(InqQuantizer(InqLevelSet::uniform(3)).bits() == 2);
  CHECK(InqQuantizer(InqLevelSet::uniform(9)).bits() == 4);
}

TEST_CASE("InqQuantizer freezes the largest free magnitudes first, each to its nearest level", "[inq]") {
  torch::manual_seed(2);
  InqQuantizer quantizer(InqLevelSet::power_of_two(3));
  const torch::Tensor w = torch::randn({6, 10}, torch::requires_grad());
  quantizer.attach(w);
  auto generator = generator_with(0);
  REQUIRE(quantizer.freeze_fraction(0.3, InqStrategy::Magnitude, generator) == 18);
  REQUIRE(quantizer.levels_initialised());
  const torch::Tensor expected_levels = ops::inq_power_of_two_magnitudes(w.abs().max().item<double>(), 3);
  CHECK(torch::equal(quantizer.levels(), expected_levels.unsqueeze(0)));
  const torch::Tensor mask = frozen_mask(quantizer);
  CHECK(mask.sum().item<int64_t>() == 18);
  // Every frozen |w| is at least every free |w|.
  const torch::Tensor magnitudes = w.detach().abs();
  CHECK(magnitudes.masked_select(mask).min().item<float>() >= magnitudes.masked_select(mask.logical_not()).max().item<float>());
  const torch::Tensor nearest = ops::inq_nearest_levels(w, expected_levels.unsqueeze(0));
  CHECK(torch::equal(quantizer.frozen().masked_select(mask), nearest.masked_select(mask)));
  CHECK(quantizer.frozen_fraction() == Approx(0.3));
  CHECK(quantizer.statistics().at(0).first == "frozen_fraction");
  CHECK(quantizer.statistics().at(0).second.item<float>() == Approx(0.3));

  // Forward: frozen values where set; backward: nothing to frozen weights.
  const torch::Tensor y = quantizer.forward(w);
  CHECK(torch::equal(y, torch::where(mask, quantizer.frozen(), w)));
  y.sum().backward();
  CHECK(torch::equal(w.grad(), mask.logical_not().to(torch::kFloat)));
  // Asking for a fraction already reached freezes nothing.
  CHECK(quantizer.freeze_fraction(0.2, InqStrategy::Magnitude, generator) == 0);
}

TEST_CASE("InqQuantizer freezes incrementally: frozen values and levels stay as the weights move on", "[inq]") {
  torch::manual_seed(3);
  InqQuantizer quantizer(InqLevelSet::uniform(5, ops::LevelScaleInit::L2Optimal));
  const torch::Tensor w = torch::randn({50});
  quantizer.attach(w);
  auto generator = generator_with(0);
  quantizer.freeze_fraction(0.4, InqStrategy::Magnitude, generator);
  const torch::Tensor frozen_before = quantizer.frozen().clone();
  const torch::Tensor levels_before = quantizer.levels().clone();
  const torch::Tensor mask_before = frozen_mask(quantizer);
  {
    torch::NoGradGuard no_grad;
    w.mul_(3.0);  // training moves the weights (in place, as an optimizer does)
  }
  quantizer.freeze_fraction(0.7, InqStrategy::Magnitude, generator);
  CHECK(torch::equal(quantizer.levels(), levels_before));
  CHECK(frozen_mask(quantizer).sum().item<int64_t>() == 35);
  CHECK(torch::equal(quantizer.frozen().masked_select(mask_before), frozen_before.masked_select(mask_before)));
  // The newly frozen are the largest of the moved weights among the free, at the kept levels.
  const torch::Tensor added = frozen_mask(quantizer).logical_and(mask_before.logical_not());
  const torch::Tensor still_free = frozen_mask(quantizer).logical_not();
  CHECK(w.abs().masked_select(added).min().item<float>() >= w.abs().masked_select(still_free).max().item<float>());
  CHECK(torch::equal(quantizer.frozen().masked_select(added),
                     ops::inq_nearest_levels(w, levels_before).masked_select(added)));
  quantizer.freeze_fraction(1.0, InqStrategy::Magnitude, generator);
  CHECK(quantizer.frozen_fraction() == 1.0);
  CHECK(std::get<0>(at::_unique(quantizer.frozen().abs())).numel() <= 3);
}

TEST_CASE("InqQuantizer random strategy: the generator decides, reproducibly", "[inq]") {
  torch::manual_seed(4);
  const torch::Tensor w = torch::randn({200});
  const auto frozen_after = [&](uint64_t seed) {
    InqQuantizer quantizer(InqLevelSet::power_of_two(4));
    quantizer.attach(w);
    auto generator = generator_with(seed);
    quantizer.freeze_fraction(0.25, InqStrategy::Random, generator);
    quantizer.freeze_fraction(0.5, InqStrategy::Random, generator);
    return frozen_mask(quantizer);
  };
  const torch::Tensor first = frozen_after(7);
  CHECK(first.sum().item<int64_t>() == 100);
  CHECK(torch::equal(first, frozen_after(7)));
  CHECK_FALSE(torch::equal(first, frozen_after(8)));
  // Not the magnitude order: some small weights are frozen before larger ones.
  const torch::Tensor magnitudes = w.abs();
  CHECK(magnitudes.masked_select(first).min().item<float>() < magnitudes.masked_select(first.logical_not()).max().item<float>());
}

TEST_CASE("InqQuantizer per channel: each output channel's levels from its own range", "[inq]") {
  torch::manual_seed(5);
  InqQuantizer quantizer(InqLevelSet::uniform(3, ops::LevelScaleInit::MaxMagnitude), 3);
  const torch::Tensor w = torch::randn({3, 8}) * torch::tensor({0.1f, 1.0f, 10.0f}).unsqueeze(1);
  quantizer.attach(w);
  auto generator = generator_with(0);
  quantizer.freeze_fraction(1.0, InqStrategy::Magnitude, generator);
  for (int64_t c = 0; c < 3; ++c) {
    const float scale = w[c].abs().max().item<float>();
    CHECK(torch::equal(quantizer.levels()[c], torch::tensor({0.0f, scale})));
    CHECK(torch::equal(quantizer.frozen()[c], ops::inq_nearest_levels(w[c], quantizer.levels()[c].unsqueeze(0))));
  }
}

TEST_CASE("InqQuantizer's frozen weights and levels travel in its state", "[inq]") {
  torch::manual_seed(6);
  const torch::Tensor w = torch::randn({4, 6});
  InqQuantizer trained(InqLevelSet::power_of_two(4), 4);
  trained.attach(w);
  auto generator = generator_with(3);
  trained.freeze_fraction(0.5, InqStrategy::Random, generator);

  InqQuantizer fresh(InqLevelSet::power_of_two(4), 4);
  quantlab::test::copy_state(trained, fresh);
  CHECK(fresh.levels_initialised());
  CHECK(torch::equal(fresh.levels(), trained.levels()));
  CHECK(torch::equal(frozen_mask(fresh), frozen_mask(trained)));
  CHECK(torch::equal(fresh.frozen().nan_to_num(-9), trained.frozen().nan_to_num(-9)));
  fresh.attach(w);  // attaching keeps a loaded frozen buffer of the weight's shape
  CHECK(torch::equal(fresh.forward(w), trained.forward(w)));
  CHECK_THROWS_WITH(fresh.attach(torch::randn({4, 5})), Catch::Contains("frozen has shape"));
}

TEST_CASE("InqQuantizer in a QuantConv2d: the convolution runs with the partly frozen weight", "[inq]") {
  torch::manual_seed(7);
  quantlib::nn::QuantConv2d layer(torch::nn::Conv2dOptions(2, 3, 3));
  auto quantizer = std::make_shared<InqQuantizer>(InqLevelSet::power_of_two(5));
  layer->set_weight_quantizer(quantizer);
  quantizer->attach(layer->conv()->weight);
  auto generator = generator_with(0);
  quantizer->freeze_fraction(0.6, InqStrategy::Magnitude, generator);
  const torch::Tensor x = torch::randn({1, 2, 6, 6});
  const torch::Tensor effective = torch::where(quantizer->frozen().isnan(), layer->conv()->weight, quantizer->frozen());
  CHECK(torch::allclose(layer(x), torch::conv2d(x, effective, layer->conv()->bias)));
  CHECK(layer->named_buffers().contains("weight_quantizer.frozen"));
}

TEST_CASE("InqQuantizer: freezing between a forward and its backward is refused, not silently mixed", "[inq]") {
  torch::manual_seed(8);
  InqQuantizer quantizer(InqLevelSet::power_of_two(3));
  const torch::Tensor w = torch::randn({10}, torch::requires_grad());
  quantizer.attach(w);
  const torch::Tensor y = quantizer.forward(w);
  auto generator = generator_with(0);
  quantizer.freeze_fraction(0.5, InqStrategy::Magnitude, generator);
  CHECK_THROWS_WITH(y.sum().backward(), Catch::Contains("modified by an inplace operation"));
}

TEST_CASE("InqQuantizer refuses bad arguments with a clear message", "[inq]") {
  auto generator = generator_with(0);
  InqQuantizer unattached(InqLevelSet::power_of_two(3));
  CHECK_THROWS_WITH(unattached.freeze_fraction(0.5, InqStrategy::Magnitude, generator), Catch::Contains("attach"));
  InqQuantizer quantizer(InqLevelSet::power_of_two(3));
  quantizer.attach(torch::randn({3}));
  CHECK_THROWS_WITH(quantizer.freeze_fraction(1.5, InqStrategy::Magnitude, generator), Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(InqLevelSet::power_of_two(9), Catch::Contains("n_bits in [2, 8]"));
  CHECK_THROWS_WITH(InqLevelSet::uniform(4), Catch::Contains("odd n_levels"));
  CHECK_THROWS_WITH(InqQuantizer(InqLevelSet::uniform(3), 2).forward(torch::randn({3, 2})), Catch::Contains("2 channels"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

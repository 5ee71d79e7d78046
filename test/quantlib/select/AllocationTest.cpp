#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include "quantlib/select/Allocation.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib::select;

// Every combination, for comparison with the dynamic program.
std::optional<double> brute_force_best(const std::vector<LayerOptions>& layers, const FixedCosts& fixed,
                                       const Budgets& budgets) {
  std::optional<double> best;
  std::vector<size_t> choice(layers.size(), 0);
  for (;;) {
    const Allocation a = evaluate(layers, fixed, choice);
    const bool fits = (!budgets.weights || a.weights <= *budgets.weights) && (!budgets.bops || a.bops <= *budgets.bops) &&
                      (!budgets.activations || a.activations <= *budgets.activations);
    if (fits && (!best || a.predicted < *best)) best = a.predicted;
    size_t i = 0;
    while (i < layers.size() && ++choice[i] == layers[i].options.size()) choice[i++] = 0;
    if (i == layers.size()) break;
  }
  return best;
}

std::vector<LayerOptions> random_layers(std::mt19937& random, int n_layers) {
  std::uniform_int_distribution<int> size(1, 50), macs(1, 400);
  std::uniform_real_distribution<double> sensitivity(0.0, 1.0);
  const std::vector<int64_t> bits{2, 3, 4, 8};
  std::vector<LayerOptions> layers;
  for (int l = 0; l < n_layers; ++l) {
    LayerOptions layer{"layer" + std::to_string(l), {}};
    const double n = size(random), m = macs(random), s = sensitivity(random), s_act = sensitivity(random);
    for (const auto w : bits)
      for (const auto a : {int64_t{4}, int64_t{8}})
        layer.options.push_back(Option{w, a, s * std::pow(2.0, -2.0 * w) + s_act * std::pow(2.0, -2.0 * a), n * w,
                                       m * w * a, 10.0 * a});
    layers.push_back(layer);
  }
  return layers;
}

TEST_CASE("allocate finds the least predicted loss under every budget, as trying every combination does",
          "[select][allocation]") {
  std::mt19937 random(11);
  const FixedCosts fixed{100, 1000, 20};
  for (int trial = 0; trial < 40; ++trial) {
    const auto layers = random_layers(random, 5);
    const auto weights = weights_range(layers, fixed), bops = bops_range(layers, fixed);
    std::uniform_real_distribution<double> between(0.0, 1.0);
    Budgets budgets;
    budgets.weights = weights.least + between(random) * (weights.greatest - weights.least);
    if (trial % 2 == 1) budgets.bops = bops.least + between(random) * (bops.greatest - bops.least);
    if (trial % 4 == 3) budgets.activations = 40;  // activation bits 4 only
    const auto expected = brute_force_best(layers, fixed, budgets);
    const auto found = allocate(layers, fixed, budgets);
    INFO("trial " << trial);
    REQUIRE(found.has_value() == expected.has_value());
    if (!found) continue;
    CHECK(found->predicted == Approx(*expected).epsilon(1e-12));
    CHECK(found->weights <= *budgets.weights);
    if (budgets.bops) CHECK(found->bops <= *budgets.bops);
    if (budgets.activations) CHECK(found->activations <= *budgets.activations);
    // Its costs are those of its choices.
    const Allocation again = evaluate(layers, fixed, found->choice);
    CHECK(again.weights == found->weights);
    CHECK(again.bops == found->bops);
  }
}

TEST_CASE("allocate: the extremes of the budget and an impossible one", "[select][allocation]") {
  std::mt19937 random(5);
  const auto layers = random_layers(random, 4);
  const FixedCosts fixed{0, 0, 0};
  const auto weights = weights_range(layers, fixed);

  // The least budget admits only the smallest weights: 2 bits everywhere.
  const auto smallest = allocate(layers, fixed, Budgets{weights.least, std::nullopt, std::nullopt});
  REQUIRE(smallest);
  for (size_t i = 0; i < layers.size(); ++i) CHECK(layers[i].options[smallest->choice[i]].weight_bits == 2);
  // Without a limit every layer takes its least sensitive option: 8 bits.
  const auto unlimited = allocate(layers, fixed, Budgets{weights.greatest, std::nullopt, std::nullopt});
  REQUIRE(unlimited);
  for (size_t i = 0; i < layers.size(); ++i) {
    CHECK(layers[i].options[unlimited->choice[i]].weight_bits == 8);
    CHECK(layers[i].options[unlimited->choice[i]].activation_bits == 8);
  }
  CHECK_FALSE(allocate(layers, fixed, Budgets{weights.least - 1, std::nullopt, std::nullopt}));
  // A peak below every option's activation cost.
  CHECK_FALSE(allocate(layers, fixed, Budgets{std::nullopt, std::nullopt, 39.0}));
  CHECK(activations_range(layers, FixedCosts{0, 0, 100}).least == 100);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

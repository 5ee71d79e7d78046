#include "manager/sweep/MedianPruning.h"

#include <catch2/catch.hpp>

using quantlab::sweep::median_prune;
using quantlab::sweep::PruneRule;

TEST_CASE("median pruning stops points worse than the finished points' median at the same epoch", "[sweep]") {
  const PruneRule rule{2, 3};
  // Errors, lower is better: median of {10, 12, 30} is 12.
  CHECK(median_prune(13, 2, {30, 10, 12}, rule, false).has_value());
  CHECK_FALSE(median_prune(12, 2, {30, 10, 12}, rule, false).has_value());
  CHECK_FALSE(median_prune(11, 2, {30, 10, 12}, rule, false).has_value());
  // Accuracies, higher is better; an even count takes the mean of the middle two (0.8).
  CHECK(median_prune(0.79, 2, {0.7, 0.75, 0.85, 0.9}, rule, true).has_value());
  CHECK_FALSE(median_prune(0.81, 2, {0.7, 0.75, 0.85, 0.9}, rule, true).has_value());
  // Too early, or too few finished points to judge.
  CHECK_FALSE(median_prune(99, 1, {10, 12, 30}, rule, false).has_value());
  CHECK_FALSE(median_prune(99, 2, {10, 12}, rule, false).has_value());
  CHECK_THAT(*median_prune(13, 2, {30, 10, 12}, rule, false),
             Catch::Contains("epoch 2") && Catch::Contains("median 12 of 3 finished point(s)"));
}

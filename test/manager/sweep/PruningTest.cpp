#include "manager/sweep/Pruning.h"

#include <catch2/catch.hpp>

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlab::sweep::judging_epoch;
using quantlab::sweep::prune_reason;
using quantlab::sweep::PruneRule;

TEST_CASE("median pruning stops points worse than the finished points' median at the same epoch", "[sweep]") {
  const PruneRule rule{"median", 2, 3};
  // Errors, lower is better: median of {10, 12, 30} is 12.
  CHECK(prune_reason(13, 2, {30, 10, 12}, rule, false).has_value());
  CHECK_FALSE(prune_reason(12, 2, {30, 10, 12}, rule, false).has_value());
  CHECK_FALSE(prune_reason(11, 2, {30, 10, 12}, rule, false).has_value());
  // Accuracies, higher is better; an even count takes the mean of the middle two (0.8).
  CHECK(prune_reason(0.79, 2, {0.7, 0.75, 0.85, 0.9}, rule, true).has_value());
  CHECK_FALSE(prune_reason(0.81, 2, {0.7, 0.75, 0.85, 0.9}, rule, true).has_value());
  // Too early, or too few finished points to judge.
  CHECK_FALSE(prune_reason(99, 1, {10, 12, 30}, rule, false).has_value());
  CHECK_FALSE(prune_reason(99, 2, {10, 12}, rule, false).has_value());
  CHECK_THAT(*prune_reason(13, 2, {30, 10, 12}, rule, false),
             Catch::Contains("epoch 2") && Catch::Contains("median 12 of 3 finished point(s)"));
  // Median judges every epoch from after_epoch on.
  CHECK_FALSE(judging_epoch(1, rule));
  CHECK(judging_epoch(5, rule) == 5);
}

TEST_CASE("successive halving keeps the best 1/eta at each rung", "[sweep]") {
  const PruneRule rule{"halving", 2, 2, 3};
  // Rungs 2, 6, 18: a point is judged at the highest rung it reached.
  CHECK_FALSE(judging_epoch(1, rule));
  CHECK(judging_epoch(2, rule) == 2);
  CHECK(judging_epoch(5, rule) == 2);
  CHECK(judging_epoch(6, rule) == 6);
  CHECK(judging_epoch(17, rule) == 6);
  CHECK(judging_epoch(18, rule) == 18);
  // 5 finished points and this one: ceil(6 / 3) = 2 go on. Errors, lower is better.
  const std::vector<double> finished{10, 20, 30, 40, 50};
  CHECK_FALSE(prune_reason(5, 2, finished, rule, false).has_value());   // 1st
  CHECK_FALSE(prune_reason(15, 2, finished, rule, false).has_value());  // 2nd
  CHECK_FALSE(prune_reason(10, 2, finished, rule, false).has_value());  // tied 1st
  CHECK(prune_reason(25, 2, finished, rule, false).has_value());        // 3rd
  CHECK_THAT(*prune_reason(25, 2, finished, rule, false),
             Catch::Contains("rung epoch 2") && Catch::Contains("ranks 3 of 6") && Catch::Contains("best 2 (1/3)"));
  // Accuracies, higher is better.
  CHECK(prune_reason(0.5, 2, {0.9, 0.8}, rule, true).has_value());          // 3rd of 3, 1 goes on
  CHECK_FALSE(prune_reason(0.95, 2, {0.9, 0.8}, rule, true).has_value());
  // Too few finished points to judge.
  CHECK_FALSE(prune_reason(99, 2, {10}, rule, false).has_value());
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

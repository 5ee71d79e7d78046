#include <catch2/catch.hpp>

#include <cmath>

#include "manager/compare/Pareto.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;

TEST_CASE("dominance counts the cost as lower-is-better and the metric either way", "[compare]") {
  const TradeOff small_good{1, 10}, large_bad{2, 20};
  CHECK(dominates(small_good, large_bad, false));  // error: lower is better
  CHECK_FALSE(dominates(large_bad, small_good, false));
  CHECK_FALSE(dominates(small_good, large_bad, true));  // accuracy: 20 is better, so neither dominates
  CHECK_FALSE(dominates(large_bad, small_good, true));
  CHECK(dominates({1, 20}, {2, 20}, true));  // as good and smaller
  CHECK(dominates({1, 20}, {1, 10}, true));  // as small and better
  CHECK_FALSE(dominates({1, 20}, {1, 20}, true));  // equal points do not dominate each other
}

TEST_CASE("the Pareto front keeps the non-dominated points by ascending cost", "[compare]") {
  //            0          1         2         3          4         5
  const std::vector<TradeOff> points{{4, 0.90}, {1, 0.80}, {2, 0.85}, {3, 0.84}, {8, 0.92}, {8, 0.91}};
  SECTION("higher is better (accuracy)") {
    CHECK(pareto_front(points, true) == std::vector<std::size_t>{1, 2, 0, 4});
  }
  SECTION("lower is better (error): only the smallest point with the lowest error") {
    CHECK(pareto_front(points, false) == std::vector<std::size_t>{1});
  }
  SECTION("equal points are both on the front") {
    CHECK(pareto_front({{1, 5}, {1, 5}, {2, 6}}, false) == std::vector<std::size_t>{0, 1});
  }
  SECTION("NaN points are left out and dominate nothing") {
    CHECK(pareto_front({{1, std::nan("")}, {2, 0.5}}, true) == std::vector<std::size_t>{1});
  }
  SECTION("no points, no front") { CHECK(pareto_front({}, true).empty()); }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

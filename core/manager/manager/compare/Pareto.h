#pragma once
// The Pareto front of runs that trade a cost (model size, bit-operations:
// lower is better) against a metric (higher or lower is better).
#include <cstddef>
#include <vector>

namespace quantlab::compare {

struct TradeOff {
  double cost = 0;
  double metric = 0;
};

// Whether `a` dominates `b`: no worse in both and better in at least one.
bool dominates(const TradeOff& a, const TradeOff& b, bool higher_is_better);

// Indices of the points no other point dominates, by ascending cost (then
// best metric first). Points with a NaN cost or metric are never on the
// front and dominate nothing; equal points are both on it.
std::vector<std::size_t> pareto_front(const std::vector<TradeOff>& points, bool higher_is_better);

}  // namespace quantlab::compare

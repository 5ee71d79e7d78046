#include "manager/compare/Pareto.h"

#include <algorithm>
#include <cmath>

namespace quantlab::compare {

namespace {

bool valid(const TradeOff& point) { return !std::isnan(point.cost) && !std::isnan(point.metric); }

}  // namespace

bool dominates(const TradeOff& a, const TradeOff& b, bool higher_is_better) {
  if (!valid(a) || !valid(b)) return false;
  const bool metric_no_worse = higher_is_better ? a.metric >= b.metric : a.metric <= b.metric;
  return a.cost <= b.cost && metric_no_worse && (a.cost < b.cost || a.metric != b.metric);
}

std::vector<std::size_t> pareto_front(const std::vector<TradeOff>& points, bool higher_is_better) {
  // A report has tens to hundreds of points: the quadratic check is instant
  // and obviously right.
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!valid(points[i])) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < points.size() && !dominated; ++j)
      dominated = j != i && dominates(points[j], points[i], higher_is_better);
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) {
    if (points[a].cost != points[b].cost) return points[a].cost < points[b].cost;
    if (points[a].metric != points[b].metric)
      return higher_is_better ? points[a].metric > points[b].metric : points[a].metric < points[b].metric;
    return a < b;
  });
  return front;
}

}  // namespace quantlab::compare

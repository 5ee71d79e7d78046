#pragma once
// Median pruning across a sweep: a point still training whose target metric
// at epoch e is worse than the median of what the finished points had at e
// stops there; its epochs are better spent on other points.
#include <optional>
#include <string>
#include <vector>

namespace quantlab::sweep {

struct PruneRule {
  int after_epoch = 1;   // judge from this epoch (1-based) on
  int min_finished = 2;  // and only against at least this many finished points
};

// Why the point should stop, or nothing. `finished_at_epoch` holds one value
// per finished point that reached `epoch`.
std::optional<std::string> median_prune(double value, int epoch, std::vector<double> finished_at_epoch,
                                        const PruneRule& rule, bool higher_is_better);

}  // namespace quantlab::sweep

#include "manager/sweep/MedianPruning.h"

#include <algorithm>

#include <fmt/format.h>

namespace quantlab::sweep {

std::optional<std::string> median_prune(double value, int epoch, std::vector<double> finished_at_epoch,
                                        const PruneRule& rule, bool higher_is_better) {
  if (epoch < rule.after_epoch || static_cast<int>(finished_at_epoch.size()) < std::max(1, rule.min_finished))
    return std::nullopt;
  std::sort(finished_at_epoch.begin(), finished_at_epoch.end());
  const std::size_t n = finished_at_epoch.size();
  const double median = n % 2 == 1 ? finished_at_epoch[n / 2]
                                   : (finished_at_epoch[n / 2 - 1] + finished_at_epoch[n / 2]) / 2;
  const bool worse = higher_is_better ? value < median : value > median;
  if (!worse) return std::nullopt;
  return fmt::format("pruned at epoch {}: {:.4g} is worse than the median {:.4g} of {} finished point(s)", epoch,
                     value, median, n);
}

}  // namespace quantlab::sweep

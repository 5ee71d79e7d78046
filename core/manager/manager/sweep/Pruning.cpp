#include "manager/sweep/Pruning.h"

#include <algorithm>

#include <fmt/format.h>

namespace quantlab::sweep {

std::optional<int> judging_epoch(int latest, const PruneRule& rule) {
  if (latest < rule.after_epoch) return std::nullopt;
  if (rule.method != "halving") return latest;
  int rung = rule.after_epoch;
  while (static_cast<long long>(rung) * rule.eta <= latest) rung *= rule.eta;
  return rung;
}

std::optional<std::string> prune_reason(double value, int epoch, std::vector<double> finished_at_epoch,
                                        const PruneRule& rule, bool higher_is_better) {
  if (epoch < rule.after_epoch || static_cast<int>(finished_at_epoch.size()) < std::max(1, rule.min_finished))
    return std::nullopt;
  // Best first.
  const auto better = [&](double a, double b) { return higher_is_better ? a > b : a < b; };
  std::sort(finished_at_epoch.begin(), finished_at_epoch.end(), better);
  const std::size_t n = finished_at_epoch.size();
  if (rule.method == "halving") {
    // Its place among the finished points and itself (ties in its favour), against the places that go on.
    const auto place = static_cast<std::size_t>(std::count_if(
        finished_at_epoch.begin(), finished_at_epoch.end(), [&](double other) { return better(other, value); }));
    const std::size_t kept = (n + 1 + static_cast<std::size_t>(rule.eta) - 1) / static_cast<std::size_t>(rule.eta);
    if (place < kept) return std::nullopt;
    return fmt::format("pruned at rung epoch {}: {:.4g} ranks {} of {}, and only the best {} (1/{}) go on", epoch,
                       value, place + 1, n + 1, kept, rule.eta);
  }
  const double median = n % 2 == 1 ? finished_at_epoch[n / 2]
                                   : (finished_at_epoch[n / 2 - 1] + finished_at_epoch[n / 2]) / 2;
  if (!better(median, value)) return std::nullopt;
  return fmt::format("pruned at epoch {}: {:.4g} is worse than the median {:.4g} of {} finished point(s)", epoch,
                     value, median, n);
}

}  // namespace quantlab::sweep

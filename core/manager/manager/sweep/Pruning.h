#pragma once
// Early stopping across a sweep: a point still training is stopped when it
// does worse than the points that finished, judged at the same epoch; its
// epochs are better spent on other points.
//   median:  from `after_epoch` on, worse than the median of the finished
//            points' values at that epoch.
//   halving: successive halving (asynchronous, as ASHA): at the rungs
//            after_epoch * eta^k, only the best 1/eta of the points that
//            reached the rung (the finished ones and this one) go on.
// Decisions are taken against finished points only, so they never depend on
// which points happened to run at the same time.
#include <optional>
#include <string>
#include <vector>

namespace quantlab::sweep {

struct PruneRule {
  std::string method = "median";  // median | halving
  int after_epoch = 1;            // judge from this epoch (1-based) on; halving's first rung
  int min_finished = 2;           // and only against at least this many finished points
  int eta = 3;                    // halving: keep 1 / eta at each rung
};

// The epoch to judge a point at when its latest validated epoch is
// `latest`: the latest itself for median, the highest rung reached for
// halving; none when it has reached none yet.
std::optional<int> judging_epoch(int latest, const PruneRule& rule);

// Why the point should stop, or nothing. `finished_at_epoch` holds one value
// per finished point that reached `epoch`.
std::optional<std::string> prune_reason(double value, int epoch, std::vector<double> finished_at_epoch,
                                        const PruneRule& rule, bool higher_is_better);

}  // namespace quantlab::sweep

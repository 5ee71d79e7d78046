#pragma once
// The report: one self-contained HTML page (inline CSS and SVG, no scripts,
// nothing fetched) with the leaderboard, the Pareto fronts of the metric
// against model size and against bit-operations, and the learning curves of
// the best runs.
#include <cstddef>
#include <string>

#include "manager/compare/Leaderboard.h"

namespace quantlab::compare {

struct ReportOptions {
  std::string selection;  // Selection::describe(): " of topology SimpleCNN in sweep lr"; empty for everything
  std::string generated;  // when, as text
  std::size_t curves = 10;  // learning curves of this many runs, best first
};

// The Pareto charts plot one point per experiment (a k-fold experiment's at
// its folds' mean) that has both a best value and the cost; fronts are drawn
// over them with the leaderboard's direction.
std::string html_report(const Leaderboard& board, const ReportOptions& options);

}  // namespace quantlab::compare

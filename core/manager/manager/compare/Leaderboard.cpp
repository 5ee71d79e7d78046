#include "manager/compare/Leaderboard.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "manager/logbook/Logbook.h"

namespace quantlab::compare {

CurveSummary summarize_curve(const std::vector<CurvePoint>& curve, bool higher_is_better) {
  CurveSummary summary;
  for (const CurvePoint& point : curve) {
    // A diverged epoch (NaN) is never the best.
    const bool improves =
        !std::isnan(point.value) &&
        (!summary.best || (higher_is_better ? point.value > *summary.best : point.value < *summary.best));
    if (improves) {
      summary.best = point.value;
      summary.best_epoch = point.epoch;
    }
    summary.last = point.value;
  }
  return summary;
}

std::optional<MeanStd> mean_std(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  MeanStd result;
  result.mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  if (values.size() >= 2) {
    double squares = 0;
    for (const double value : values) squares += (value - result.mean) * (value - result.mean);
    result.std = std::sqrt(squares / (values.size() - 1));
  }
  return result;
}

std::string LeaderboardRow::id() const {
  const std::string name = Logbook::experiment_name(experiment);
  switch (kind) {
    case Kind::Run: return name;
    case Kind::Fold: return name + "/fold" + std::to_string(fold.value_or(0));
    case Kind::Folds: return name + " (" + std::to_string(n_folds) + " folds)";
  }
  return name;
}

std::string LeaderboardRow::kind_name() const {
  switch (kind) {
    case Kind::Run: return "run";
    case Kind::Folds: return "folds";
    case Kind::Fold: return "fold";
  }
  return "run";
}

namespace {

// The rows of one experiment and the value it is ranked by.
struct Entry {
  int id = 0;
  std::optional<double> rank_value;
  std::vector<LeaderboardRow> rows;
};

std::string fold_status(const ExperimentRecord& experiment, const FoldRecord& fold) {
  if (experiment.sweep_status) return *experiment.sweep_status;
  return fold.epochs_done >= experiment.n_epochs ? "done" : "incomplete";
}

Entry entry_of(const ExperimentRecord& experiment, const std::vector<std::string>& keys, bool higher_is_better) {
  LeaderboardRow common;
  common.experiment = experiment.id;
  common.n_folds = static_cast<int>(experiment.folds.size());
  common.topology = experiment.topology;
  for (const std::string& key : keys) common.values.push_back(value_of(experiment.config, key));
  common.recipe = experiment.recipe;
  common.bits = experiment.bits;
  common.origin = experiment.origin;
  common.n_epochs = experiment.n_epochs;
  common.size_bytes = experiment.size_bytes;
  common.bops = experiment.bops;

  Entry entry;
  entry.id = experiment.id;
  std::vector<LeaderboardRow> fold_rows;
  for (const FoldRecord& fold : experiment.folds) {
    LeaderboardRow row = common;
    row.kind = experiment.folds.size() == 1 ? LeaderboardRow::Kind::Run : LeaderboardRow::Kind::Fold;
    if (row.kind == LeaderboardRow::Kind::Fold) row.fold = fold.fold;
    const CurveSummary summary = summarize_curve(fold.curve, higher_is_better);
    row.best = summary.best;
    row.last = summary.last;
    row.best_epoch = summary.best_epoch;
    row.epochs_done = fold.epochs_done;
    row.train_seconds = fold.train_seconds;
    row.status = fold_status(experiment, fold);
    row.curve = fold.curve;
    fold_rows.push_back(std::move(row));
  }
  if (fold_rows.size() == 1) {
    entry.rank_value = fold_rows.front().best;
    entry.rows = std::move(fold_rows);
    return entry;
  }

  LeaderboardRow folds = common;
  folds.kind = LeaderboardRow::Kind::Folds;
  std::vector<double> bests, lasts;
  bool all_done = true;
  folds.epochs_done = fold_rows.empty() ? 0 : fold_rows.front().epochs_done;
  for (const LeaderboardRow& row : fold_rows) {
    if (row.best) bests.push_back(*row.best);
    if (row.last) lasts.push_back(*row.last);
    folds.epochs_done = std::min(folds.epochs_done, row.epochs_done);
    if (row.train_seconds) folds.train_seconds = folds.train_seconds.value_or(0) + *row.train_seconds;
    all_done = all_done && row.epochs_done >= experiment.n_epochs;
  }
  if (const auto best = mean_std(bests)) {
    folds.best = best->mean;
    folds.best_std = best->std;
  }
  if (const auto last = mean_std(lasts)) {
    folds.last = last->mean;
    folds.last_std = last->std;
  }
  folds.status = experiment.sweep_status.value_or(all_done ? "done" : "incomplete");
  entry.rank_value = folds.best;
  entry.rows.push_back(std::move(folds));
  for (auto& row : fold_rows) entry.rows.push_back(std::move(row));
  return entry;
}

}  // namespace

std::string origin_kind(const std::string& origin) {
  if (origin.empty()) return "";
  for (const char* kind : {"fp32", "uniform", "mixed"})
    if (origin == kind) return kind;
  for (const char* kind : {"select", "learned"}) {
    const std::string word = kind;
    const bool starts = origin.rfind(word, 0) == 0;
    if (starts && (origin.size() == word.size() || !std::isalnum(static_cast<unsigned char>(origin[word.size()]))))
      return kind;
  }
  return "other";
}

Leaderboard make_leaderboard(const std::vector<ExperimentRecord>& experiments, const std::string& metric,
                             bool higher_is_better) {
  Leaderboard board;
  board.metric = metric;
  board.higher_is_better = higher_is_better;
  std::vector<FlatConfig> configs;
  for (const auto& experiment : experiments) configs.push_back(experiment.config);
  if (!configs.empty()) board.differing_keys = differing_keys(configs);

  std::vector<Entry> entries;
  for (const auto& experiment : experiments)
    entries.push_back(entry_of(experiment, board.differing_keys, higher_is_better));
  std::stable_sort(entries.begin(), entries.end(), [higher_is_better](const Entry& a, const Entry& b) {
    if (a.rank_value.has_value() != b.rank_value.has_value()) return a.rank_value.has_value();
    if (a.rank_value && *a.rank_value != *b.rank_value)
      return higher_is_better ? *a.rank_value > *b.rank_value : *a.rank_value < *b.rank_value;
    return a.id < b.id;
  });
  for (auto& entry : entries)
    for (auto& row : entry.rows) board.rows.push_back(std::move(row));
  for (const auto& entry : entries)
    for (const auto& experiment : experiments)
      if (experiment.id == entry.id && experiment.sensitivity) board.sensitivities.push_back(*experiment.sensitivity);
  return board;
}

}  // namespace quantlab::compare

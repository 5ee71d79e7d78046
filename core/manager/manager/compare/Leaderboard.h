#pragma once
// A leaderboard: the experiments of a problem, one row per experiment (or per
// fold of a k-fold experiment, led by a row of the folds' mean ± std), sorted
// by the metric, best first. Built from records of what each experiment
// trained (LeaderboardCollector reads them from the logs), so that the
// ranking, the fold statistics and the status rules are one pure function.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manager/compare/DifferingKeys.h"
#include "manager/compare/SensitivityFile.h"

namespace quantlab::compare {

// One epoch's validation value of the leaderboard's metric (epochs count from 1).
struct CurvePoint {
  int epoch = 0;
  double value = 0;
};

// What one fold trained, as its logs tell it.
struct FoldRecord {
  int fold = 0;
  std::vector<CurvePoint> curve;              // ascending epochs
  int epochs_done = 0;                        // of its newest checkpoint
  std::optional<double> train_seconds;        // unset when it never logged an epoch
};

// One experiment of the logbook.
struct ExperimentRecord {
  int id = 0;
  std::string topology;  // network.class
  FlatConfig config;
  int n_epochs = 0;
  std::string recipe;  // network.quantize.recipe, "none" without one
  std::string bits;    // the network's weight and activation bits ("W4/8 A4/32"); "" when not measured
  // What produced it: experiment.origin when the config says ("select
  // weights=300KiB"), else its precision: "fp32", "uniform" (one weight
  // bit-width and one activation bit-width) or "mixed"; "" when not known.
  std::string origin;
  std::optional<std::int64_t> size_bytes;  // model size at its bit-widths
  std::optional<std::int64_t> bops;        // bit-operations per sample
  std::vector<FoldRecord> folds;           // experiment.n_folds of them, ascending
  // What its sweep says when that overrides the logbook: "running", "dead",
  // "failed", "pruned". Unset outside sweeps and for points done or pending.
  std::optional<std::string> sweep_status;
  // Its sensitivity.json, when it has one that could be read.
  std::optional<Sensitivity> sensitivity;
};

// Best and last value of a learning curve and the epoch of the best (the
// first one on ties, as the trainer's best.ckpt keeps it).
struct CurveSummary {
  std::optional<double> best;
  std::optional<double> last;
  std::optional<int> best_epoch;
};
CurveSummary summarize_curve(const std::vector<CurvePoint>& curve, bool higher_is_better);

// Mean and sample standard deviation (n - 1); no deviation for fewer than two values.
struct MeanStd {
  double mean = 0;
  std::optional<double> std;
};
std::optional<MeanStd> mean_std(const std::vector<double>& values);

struct LeaderboardRow {
  enum class Kind {
    Run,    // an experiment with one fold
    Folds,  // the mean ± std over a k-fold experiment's folds
    Fold,   // one fold of a k-fold experiment (listed after its Folds row)
  };
  Kind kind = Kind::Run;
  int experiment = 0;
  std::optional<int> fold;  // Fold rows
  int n_folds = 1;
  std::string topology;
  std::vector<std::string> values;  // of Leaderboard::differing_keys, in that order
  std::string recipe;
  std::string bits;
  std::string origin;
  std::optional<double> best, best_std;  // the std on Folds rows only
  std::optional<double> last, last_std;
  std::optional<int> best_epoch;  // not on Folds rows
  int epochs_done = 0;            // Folds rows: the least of the folds
  int n_epochs = 0;
  std::optional<std::int64_t> size_bytes;
  std::optional<std::int64_t> bops;
  std::optional<double> train_seconds;  // Folds rows: the sum over the folds
  std::string status;                   // done, incomplete, running, dead, failed, pruned
  std::vector<CurvePoint> curve;        // Run and Fold rows

  // "exp0003", "exp0003/fold1", "exp0003 (3 folds)".
  std::string id() const;
  // "run", "folds", "fold": the kind as written in json and the report.
  std::string kind_name() const;
};

struct Leaderboard {
  std::string problem;
  std::string metric;  // the validation metric ranked on
  bool higher_is_better = false;
  std::vector<std::string> differing_keys;
  std::vector<LeaderboardRow> rows;
  // The sensitivity files of the compared experiments, in the rows' order.
  std::vector<Sensitivity> sensitivities;
  // One line each about what was left out or could not be measured, for stderr.
  std::vector<std::string> notes;
};

// The kinds of origin the report marks apart: an origin's kind is "fp32",
// "uniform" or "mixed" when it is that word, "select" or "learned" when it
// starts with that word ("select weights=300KiB", "learned bits, ..."), else
// "other" (and "" for an unknown origin).
std::string origin_kind(const std::string& origin);

// Rows of the records: experiments ranked by their best value (a k-fold
// experiment by the mean of its folds' bests), best first, those without any
// value last, ties by id; a k-fold experiment's Folds row is followed by its
// Fold rows in fold order.
Leaderboard make_leaderboard(const std::vector<ExperimentRecord>& experiments, const std::string& metric,
                             bool higher_is_better);

}  // namespace quantlab::compare

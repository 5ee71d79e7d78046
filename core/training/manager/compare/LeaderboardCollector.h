#pragma once
// Reads a problem's experiments into a leaderboard: each experiment's
// config.yaml, its folds' validation curves and wall times from TensorBoard,
// their progress from the newest checkpoints, its sweep's word on its status,
// and the cost of its network at its bit-widths. Reads only: nothing in the
// logs is made, changed or removed.
#include <optional>
#include <string>
#include <vector>

#include "manager/compare/Leaderboard.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"

namespace quantlab::compare {

// Which experiments to compare; every one of the problem when nothing is set.
struct Selection {
  std::optional<std::string> topology;  // network.class
  std::optional<std::string> sweep;     // a sweep's name: its points' experiments
  std::vector<int> exp_ids;             // these experiments only

  // " of topology T in sweep S" (empty when nothing is selected), for messages.
  std::string describe() const;
};

// The leaderboard ranks on one validation metric: the experiments' target
// metric (experiment.target_metric, else the meter's main metric) when they
// all share it, else the meter's main metric, with a note.
//
// UserError (one line) for an unknown sweep (listing the existing ones), an
// unknown experiment id (listing the existing ones), and a selection with no
// experiments. An experiment that cannot be read (no or a broken config.yaml,
// a topology the plugin lacks, a damaged event file or checkpoint) is left out
// or left incomplete, with a note saying why; a missing data set leaves sizes
// and BOPs unmeasured, with a note.
Leaderboard collect_leaderboard(const LoadedPlugin& plugin, const StorageMap& storage, const Selection& selection);

}  // namespace quantlab::compare

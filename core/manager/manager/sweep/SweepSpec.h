#pragma once
// A sweep file: a base config plus axes of dotted-key assignments, expanded
// into points, each one experiment. (configs/<problem>/sweeps/NAME.yaml)
//
//   name: lr-hidden                      # default: the file's stem
//   topology: SimpleCNN                  # optional: qlhost checks it against --topology
//   base: ../SimpleCNN.pact-w8a8.yaml    # relative to the sweep file; default: the topology's config
//   set: {experiment.n_epochs: 1}        # fixed overrides of every point
//   grid: {training.optimizer.params.lr: [0.01, 0.05], network.params.hidden: [128, 256]}
//   zip: [{network.params.channels: [[16, 32], [32, 64]], network.params.dropout: [0.1, 0.25]}]
//   random: {samples: 4, seed: 1, params: {training.optimizer.params.weight_decay: {log_uniform: [1.0e-5, 1.0e-3]}}}
//   repeat: 2                            # seeds 1..K per point
//   prune: {method: median, after_epoch: 1, min_finished: 2}   # or method: halving, eta: 3
//
// Axes, in this order: each grid key (file order), each `--set key=a,b,c`
// from the command line, each zip group (its lists vary together), the random
// samples (one axis of `samples` draws), and the repeats (experiment.seed =
// 1..K). The points are their cartesian product, the last axis varying
// fastest, so the repeats of one configuration are neighbours. A sweep needs
// at least one axis or repeat > 1: with only fixed overrides it is one
// experiment, which `qlhost --plugin P --topology T --set ...` runs; an axis
// of one value is fine.
//
// Random draws are std::mt19937_64 from `seed` mapped to values by this
// file's own arithmetic (no std:: distributions, whose output differs between
// standard libraries), samples in order and within a sample the params in
// file order. Drawn floats keep 6 significant digits, so that configs,
// labels and tables stay readable and equal on every platform.
//
// Values are YAML, typed as `--set` types them. A value list must not mix
// kinds (numbers, strings, booleans, lists, maps; null goes with any), and a
// key may be assigned in one place only (prefixes count: `network.params`
// and `network.params.hidden` collide). Fixed command-line `--set k=v` may
// override `set:` and are applied after it. Whether the keys exist in the
// experiment config is not checked here: each point's full config is.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace quantlab::sweep {

struct Point {
  int index = 0;   // 0.. in expansion order
  int repeat = 0;  // 0..K-1; its seed is repeat + 1 when the sweep repeats
  // Dotted key -> value, in axis order (grid, --set axes, zip, random, experiment.seed).
  std::vector<std::pair<std::string, YAML::Node>> assignments;

  // "key=value" with the value in one-line YAML flow style, as apply_override
  // and qlhost --set take them; they read back as the very same values (a
  // quoted string stays a string) and hold no top-level comma.
  std::vector<std::string> overrides() const;
  // Short, for tables and logs: "lr=0.01 hidden=128 seed=1" (last dotted
  // component of each key, lists without spaces).
  std::string label() const;
};

struct PruneSpec {
  std::string method = "none";  // none | median | halving (see Pruning.h)
  int after_epoch = 1;          // first epoch (counting from 1) at which a point may be pruned
  int min_finished = 2;         // points that must have reached an epoch before it is compared
  int eta = 3;                  // halving: keep the best 1/eta at rungs after_epoch * eta^k
};

struct SweepSpec {
  std::string name;  // also the sweep's folder name: letters, digits, '.', '_', '-'
  std::filesystem::path file;
  std::optional<std::string> topology;
  std::optional<std::filesystem::path> base_config;  // absolute
  std::vector<std::string> fixed_overrides;           // `set:`, then fixed command-line --set: "key=value"
  std::vector<Point> points;
  PruneSpec prune;
  // 16 hex digits of FNV-1a 64 over the base (relative to the sweep file, so
  // a moved checkout keeps it), the fixed overrides and every point's
  // overrides: it changes exactly when the expansion does.
  std::string fingerprint;

  // Throws ConfigError naming the file (or the --set) and the sweep key.
  static SweepSpec load(const std::filesystem::path& file, const std::vector<std::string>& cli_sets = {});
};

}  // namespace quantlab::sweep

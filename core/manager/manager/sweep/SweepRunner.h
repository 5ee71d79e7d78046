#pragma once
// Runs a sweep's points: each point is one experiment, trained by a child
// qlhost (--jobs of them at once) and recorded in the sweep index. Running
// the same sweep again resumes it: done points are skipped, failed or dead
// ones resume from their checkpoints, pending ones start. The host hands it
// plain data: the command that trains a point, the folders, the checked spec.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "manager/logbook/Logbook.h"
#include "manager/sweep/ChildProcess.h"
#include "manager/sweep/SweepSpec.h"

namespace quantlab::sweep {

// What the host gives the runner.
struct RunOptions {
  // The command line of every point's training, before the point's own
  // options: "[mpirun -np N] qlhost --plugin P --topology T --home H
  // --threads N". The runner adds --exp-id N to resume the point's
  // experiment, else [--config BASE] --set k=v... --exp-id-file FILE, to
  // which the command writes the id of the experiment it makes.
  std::vector<std::string> command;
  std::filesystem::path logs;  // the problem's logs folder: experiments, and sweeps/<name>/
  std::string topology;        // recorded in the index
  std::string plugin;          // named in the closing hint (qlhost compare --plugin P --sweep NAME)
  int jobs = 1;                // points trained at once
  bool force_new = false;      // a changed sweep starts anew, its old index kept aside
  bool higher_is_better = false;  // of the target metric (valid_metric), for pruning
};

// "key=value ..." with each value in one-line YAML, as the sweep names a point.
std::string assignment_text(const std::vector<std::pair<std::string, YAML::Node>>& assignments);

class SweepRunner {
 public:
  // `spec` is checked already (every point's config) and outlives the runner.
  SweepRunner(RunOptions options, const SweepSpec& spec);

  // Creates the index, or checks that the existing one records this very
  // sweep (ConfigError naming both files unless force_new).
  void open_index();
  // Trains the points not done until none is left; returns how many failed.
  int run();

 private:
  // One point being trained by a child process of this sweep.
  struct Child {
    std::size_t slot = 0;  // index into the index's points
    ChildProcess process;
    std::filesystem::path id_file;
    std::optional<int> exp_id;
  };

  template <typename Change>
  void update_index(const Change& change);
  std::optional<std::size_t> claim_next_point(const std::set<std::size_t>& attempted);
  bool others_running();
  std::filesystem::path point_log(std::size_t slot) const;
  std::filesystem::path point_id_file(std::size_t slot) const;
  void start(std::size_t slot);
  void record_exp_id(std::size_t slot, int id);
  void learn_experiment_ids();
  void beat();
  void reap_children();
  std::map<int, double> epoch_metrics(int exp_id) const;
  void prune_children();
  void write_hparams_experiment();
  void write_hparams_session(std::size_t slot, int exp_id, bool success);
  int summarize();

  RunOptions options_;
  const SweepSpec& spec_;
  Logbook logbook_;
  std::filesystem::path index_file_;
  std::filesystem::path root_;
  std::string owner_;
  std::vector<Child> children_;
};

}  // namespace quantlab::sweep

#include "manager/compare/LeaderboardCollector.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>

#include <torch/torch.h>

#include "manager/compare/NetworkCost.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "manager/sweep/SweepIndex.h"
#include "manager/tensorboard/EventReader.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/Trainer.h"
#include "quantlab/Clock.h"
#include "quantlab/Errors.h"

namespace fs = std::filesystem;

namespace quantlab::compare {

std::string Selection::describe() const {
  std::string text;
  if (topology) text += " of topology " + *topology;
  if (sweep) text += " in sweep " + *sweep;
  return text;
}

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// The unix seconds an event file was opened, from its name
// (events.out.tfevents.<seconds>.<host>); none if the name has no such part.
std::optional<double> opened_at(const fs::path& file) {
  const std::string name = file.filename().string();
  const std::string marker = "tfevents.";
  const auto at = name.find(marker);
  if (at == std::string::npos) return std::nullopt;
  std::size_t end = at + marker.size();
  while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
  if (end == at + marker.size()) return std::nullopt;
  return std::stod(name.substr(at + marker.size(), end - at - marker.size()));
}

// The newest checkpoint's completed epochs, as training would resume from it.
int epochs_done(const Logbook& logbook, int id, int fold, std::vector<std::string>& notes) {
  int done = 0;
  std::vector<fs::path> files;
  if (const auto latest = logbook.latest_epoch_checkpoint(id, fold)) files.push_back(latest->file);
  if (fs::exists(logbook.best_checkpoint(id, fold))) files.push_back(logbook.best_checkpoint(id, fold));
  for (const auto& file : files) {
    try {
      done = std::max(done, read_progress(file).epochs_done);
    } catch (const std::exception& error) {
      notes.push_back(file.string() + ": progress not read (" + error.what() + ")");
    }
  }
  return done;
}

// The fold's validation curve of `metric` and its train time. Every run of a
// fold (the first and each resume) writes its own event file; an epoch logged
// twice (a run killed before its checkpoint, then resumed) keeps the later
// value. Train time sums each file's span from its opening to its last epoch.
FoldRecord read_fold(const Logbook& logbook, int id, int fold, const std::string& metric,
                     std::vector<std::string>& notes) {
  FoldRecord record;
  record.fold = fold;
  std::map<int, double> by_epoch;
  for (const auto& file : tensorboard::EventReader::find_event_files(logbook.stats_dir(id, fold))) {
    std::vector<tensorboard::ScalarPoint> points;
    try {
      points = tensorboard::EventReader(file).scalars("valid/" + metric);
    } catch (const UserError& error) {
      notes.push_back(std::string(error.what()) + " (its epochs are left out)");
      continue;
    }
    if (points.empty()) continue;
    for (const auto& point : points) by_epoch[static_cast<int>(point.step)] = point.value;
    if (const auto start = opened_at(file)) {
      double last = 0;
      for (const auto& point : points) last = std::max(last, point.wall_time);
      record.train_seconds = record.train_seconds.value_or(0) + std::max(0.0, last - *start);
    }
  }
  for (const auto& [epoch, value] : by_epoch) record.curve.push_back({epoch, value});
  record.epochs_done = epochs_done(logbook, id, fold, notes);
  return record;
}

// What a sweep says of an experiment when it overrides the logbook's done/incomplete.
std::optional<std::string> sweep_status(const sweep::PointRecord& point, std::int64_t now) {
  switch (point.status) {
    case sweep::PointStatus::Running: return point.dead(now) ? "dead" : "running";
    case sweep::PointStatus::Failed: return "failed";
    case sweep::PointStatus::Pruned: return "pruned";
    case sweep::PointStatus::Pending:
    case sweep::PointStatus::Done: return std::nullopt;
  }
  return std::nullopt;
}

// The experiment's sensitivity.json; none, with a note, when it is damaged.
std::optional<Sensitivity> read_sensitivity(const Logbook& logbook, int id, std::vector<std::string>& notes) {
  const fs::path file = logbook.experiment_dir(id) / kSensitivityFileName;
  if (!fs::exists(file)) return std::nullopt;
  try {
    return read_sensitivity_file(file);
  } catch (const UserError& error) {
    notes.push_back(std::string(error.what()) + " (its sensitivity is not shown)");
    return std::nullopt;
  }
}

struct Candidate {
  int id = 0;
  ExperimentConfig config;
  std::shared_ptr<Topology> topology;
  std::string target;
};

// Measures network costs once per distinct network: sweeps over training
// keys share one network, and building it is the slow part.
class CostMeter {
 public:
  CostMeter(const LoadedPlugin& plugin, const StorageMap& storage, const Logbook& logbook,
            std::vector<std::string>& notes)
      : plugin_(plugin), data_dir_(storage.problem_folder(plugin.name) / "data"), logbook_(logbook), notes_(notes) {}

  std::optional<NetworkCost> cost(const Candidate& candidate) {
    YAML::Node network = YAML::Clone(candidate.config.root["network"]);
    network.remove("pretrained");
    YAML::Emitter key;
    key << YAML::Flow << network;
    const auto cached = costs_.find(key.c_str());
    if (cached != costs_.end()) return cached->second;
    std::optional<NetworkCost> cost;
    if (const auto sample = sample_for(*candidate.topology)) {
      try {
        torch::NoGradGuard no_grad;
        // Bits learned in training are read from the fold 0 newest
        // checkpoint (frozen by the end of the run).
        const auto newest = logbook_.latest_epoch_checkpoint(candidate.id, 0);
        cost = network_cost(*candidate.topology, candidate.config, *sample, newest ? newest->file : fs::path());
      } catch (const UserError& error) {
        notes_.push_back(Logbook::experiment_name(candidate.id) + ": model size and BOPs not measured (" +
                         error.what() + ")");
      }
    }
    // A network with learned bits costs what its experiment learned: not shared.
    if (!cost || !cost->learned_bits) costs_.emplace(key.c_str(), cost);
    return cost;
  }

 private:
  // One measurement sample per topology (see measurement_sample); without
  // data or a known input shape, a note and no cost.
  std::optional<torch::Tensor> sample_for(const Topology& topology) {
    auto found = samples_.find(topology.name());
    if (found == samples_.end()) {
      torch::Tensor sample;
      try {
        sample = measurement_sample(*plugin_.problem, data_dir_, topology);
      } catch (const UserError& error) {
        notes_.push_back("model sizes and BOPs of " + topology.name() + " not measured: " + error.what());
      }
      found = samples_.emplace(topology.name(), sample).first;
    }
    if (!found->second.defined()) return std::nullopt;
    return found->second;
  }

  const LoadedPlugin& plugin_;
  fs::path data_dir_;
  const Logbook& logbook_;
  std::vector<std::string>& notes_;
  std::map<std::string, torch::Tensor> samples_;
  std::map<std::string, std::optional<NetworkCost>> costs_;
};

}  // namespace

Leaderboard collect_leaderboard(const LoadedPlugin& plugin, const StorageMap& storage, const Selection& selection) {
  const fs::path logs = storage.problem_folder(plugin.name) / "logs";
  const std::string nothing = "no experiments of problem " + plugin.name + selection.describe() + " in " +
                              logs.string() + " (expected expNNNN folders; run experiments first)";
  if (!fs::is_directory(logs)) throw StorageError(nothing);
  const Logbook logbook(logs);
  std::vector<std::string> notes;

  // Every sweep's index: a sweep's word on its points' status holds even when
  // experiments are compared without --sweep.
  const std::vector<std::string> sweeps = sweep::SweepIndex::list(logs);
  if (selection.sweep && std::find(sweeps.begin(), sweeps.end(), *selection.sweep) == sweeps.end())
    throw UserError("--sweep " + *selection.sweep + ": no such sweep in " + (logs / "sweeps").string() +
                    (sweeps.empty() ? " (there are none)" : " (existing: " + joined(sweeps) + ")"));
  std::map<int, sweep::PointRecord> points;
  std::set<int> in_selected_sweep;
  for (const auto& name : sweeps) {
    const fs::path file = sweep::SweepIndex::path(logs, name);
    sweep::SweepIndex index;
    try {
      index = sweep::SweepIndex::read(file);
    } catch (const UserError& error) {
      if (selection.sweep == name) throw;
      notes.push_back(std::string(error.what()) + " (its statuses are not shown)");
      continue;
    }
    for (const auto& point : index.points) {
      if (!point.exp_id) continue;
      points[*point.exp_id] = point;
      if (selection.sweep == name) in_selected_sweep.insert(*point.exp_id);
    }
  }

  std::vector<int> ids = logbook.list_experiments();
  if (!selection.exp_ids.empty()) {
    for (const int id : selection.exp_ids) logbook.open_experiment(id);  // names the existing ids if it is not one
    ids = selection.exp_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }

  const auto meter = plugin.problem->meter();
  std::vector<Candidate> candidates;
  for (const int id : ids) {
    if (selection.sweep && in_selected_sweep.count(id) == 0) continue;
    const std::string name = Logbook::experiment_name(id);
    const fs::path file = logbook.config_file(id);
    if (!fs::exists(file)) {
      notes.push_back(name + ": left out: it has no config.yaml (being created, or not an experiment)");
      continue;
    }
    try {
      Candidate candidate{id, ExperimentConfig::parse(load_yaml_file(file), file.string()), nullptr, ""};
      if (selection.topology && candidate.config.network_class != *selection.topology) continue;
      candidate.topology = plugin.topology(candidate.config.network_class);
      candidate.target = target_of(candidate.config, *meter).metric;
      candidates.push_back(std::move(candidate));
    } catch (const UserError& error) {
      notes.push_back(name + ": left out: " + error.what());
    }
  }
  if (candidates.empty()) throw UserError(nothing);

  std::set<std::string> targets;
  for (const auto& candidate : candidates) targets.insert(candidate.target);
  std::string metric = *targets.begin();
  if (targets.size() > 1) {
    metric = meter->main_metric();
    notes.push_back("the experiments target different metrics (" +
                    joined(std::vector<std::string>(targets.begin(), targets.end())) + "): ranked by the meter's main "
                    "metric " + metric);
  }

  CostMeter costs(plugin, storage, logbook, notes);
  const std::int64_t now = unix_now();
  std::vector<ExperimentRecord> records;
  for (const auto& candidate : candidates) {
    ExperimentRecord record;
    record.id = candidate.id;
    record.topology = candidate.config.network_class;
    record.config = flatten_config(candidate.config.root);
    record.n_epochs = candidate.config.n_epochs;
    const Params quantize = candidate.config.section("network.quantize");
    record.recipe = quantize.keys().empty() ? "none" : quantize.get<std::string>("recipe");
    if (const auto cost = costs.cost(candidate)) {
      record.size_bytes = cost->size_bytes;
      record.bops = cost->bops;
      record.bits = cost->bits;
      record.origin = cost->precision;
    } else if (record.recipe == "none") {
      record.origin = "fp32";
    }
    if (candidate.config.origin) record.origin = *candidate.config.origin;
    record.sensitivity = read_sensitivity(logbook, candidate.id, notes);
    for (int fold = 0; fold < candidate.config.n_folds; ++fold)
      record.folds.push_back(read_fold(logbook, candidate.id, fold, metric, notes));
    if (const auto point = points.find(candidate.id); point != points.end())
      record.sweep_status = sweep_status(point->second, now);
    records.push_back(std::move(record));
  }

  Leaderboard board = make_leaderboard(records, metric, meter->higher_is_better());
  board.problem = plugin.name;
  board.notes = std::move(notes);
  return board;
}

}  // namespace quantlab::compare

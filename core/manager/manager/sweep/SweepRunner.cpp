#include "manager/sweep/SweepRunner.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "manager/sweep/Pruning.h"
#include "manager/sweep/SweepIndex.h"
#include "manager/tensorboard/EventReader.h"
#include "manager/tensorboard/EventWriter.h"
#include "quantlab/Clock.h"
#include "quantlab/Errors.h"

namespace fs = std::filesystem;

namespace quantlab::sweep {
namespace {

std::optional<int> read_id_file(const fs::path& file) {
  std::ifstream stream(file);
  int id = -1;
  if (stream >> id && id >= 0) return id;
  return std::nullopt;
}

std::string last_line(const fs::path& file) {
  std::ifstream stream(file);
  std::string line, last;
  while (std::getline(stream, line))
    if (!line.empty()) last = line;
  return last;
}

// YAML scalars as numbers, flags or texts; lists and maps as their flow text.
tensorboard::HParamValue hparam_value(const YAML::Node& value) {
  if (!value.IsScalar()) {
    YAML::Emitter out;
    out << YAML::Flow << value;
    return std::string(out.c_str());
  }
  const std::string text = value.Scalar();
  if (text == "true" || text == "false") return text == "true";
  try {
    std::size_t used = 0;
    const double number = std::stod(text, &used);
    if (used == text.size()) return number;
  } catch (const std::exception&) {
  }
  return text;
}

}  // namespace

std::string assignment_text(const std::vector<std::pair<std::string, YAML::Node>>& assignments) {
  std::string text;
  for (const auto& [key, value] : assignments) {
    YAML::Emitter out;
    out << YAML::Flow << value;
    text += (text.empty() ? "" : " ") + key + "=" + out.c_str();
  }
  return text;
}

SweepRunner::SweepRunner(RunOptions options, const SweepSpec& spec)
    : options_(std::move(options)),
      spec_(spec),
      logbook_(options_.logs),
      index_file_(SweepIndex::path(logbook_.logs_folder(), spec.name)),
      root_(index_file_.parent_path()),
      owner_(this_owner()) {}

void SweepRunner::open_index() {
  const IndexLock lock(index_file_);
  if (fs::exists(index_file_)) {
    const SweepIndex existing = SweepIndex::read(index_file_);
    if (existing.fingerprint == spec_.fingerprint) return;
    if (!options_.force_new)
      throw ConfigError(spec_.file.string() + ": expected the sweep that " + index_file_.string() +
                        " records (its points were run from " + existing.file +
                        " as it was then; the file or its --set axes changed since). Restore it, give the sweep "
                        "another name, or pass --force-new to start it anew (the old index is kept aside)");
    const fs::path aside = root_ / fmt::format("index.replaced-{}.yaml", unix_now());
    fs::rename(index_file_, aside);
    std::cout << "sweep " << spec_.name << ": the old index is kept as " << aside.string() << "\n";
  }
  SweepIndex index;
  index.name = spec_.name;
  index.file = fs::absolute(spec_.file).string();
  index.fingerprint = spec_.fingerprint;
  index.topology = options_.topology;
  for (const auto& point : spec_.points) {
    PointRecord record;
    record.point = point.index;
    record.repeat = point.repeat;
    record.assignments = point.assignments;
    index.points.push_back(std::move(record));
  }
  index.write(index_file_);
  write_hparams_experiment();
}

int SweepRunner::run() {
  std::set<std::size_t> attempted;  // each point at most once per invocation
  auto last_prune_check = std::chrono::steady_clock::now();
  for (;;) {
    reap_children();
    learn_experiment_ids();
    if (spec_.prune.method != "none" &&
        std::chrono::steady_clock::now() - last_prune_check > std::chrono::seconds(1)) {
      prune_children();
      last_prune_check = std::chrono::steady_clock::now();
    }
    beat();
    while (static_cast<int>(children_.size()) < options_.jobs) {
      const auto slot = claim_next_point(attempted);
      if (!slot) break;
      attempted.insert(*slot);
      start(*slot);
    }
    if (children_.empty()) {
      // Points another live sweep process is training: wait for them.
      if (!others_running()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return summarize();
}

template <typename Change>
void SweepRunner::update_index(const Change& change) {
  const IndexLock lock(index_file_);
  SweepIndex index = SweepIndex::read(index_file_);
  change(index);
  index.write(index_file_);
}

// The next point to train, marked running by this process; none when every
// point is done, pruned, attempted already, or alive in another process.
std::optional<std::size_t> SweepRunner::claim_next_point(const std::set<std::size_t>& attempted) {
  std::optional<std::size_t> claimed;
  update_index([&](SweepIndex& index) {
    const auto now = unix_now();
    for (std::size_t slot = 0; slot < index.points.size() && !claimed; ++slot) {
      PointRecord& point = index.points[slot];
      if (attempted.count(slot)) continue;
      const bool startable =
          point.status == PointStatus::Pending || point.status == PointStatus::Failed || point.dead(now);
      if (!startable) continue;
      point.status = PointStatus::Running;
      point.heartbeat = now;
      point.owner = owner_;
      point.message.clear();
      claimed = slot;
    }
  });
  return claimed;
}

bool SweepRunner::others_running() {
  const SweepIndex index = [&] {
    const IndexLock lock(index_file_);
    return SweepIndex::read(index_file_);
  }();
  const auto now = unix_now();
  return std::any_of(index.points.begin(), index.points.end(), [&](const PointRecord& point) {
    return point.status == PointStatus::Running && point.owner != owner_ && !point.dead(now);
  });
}

fs::path SweepRunner::point_log(std::size_t slot) const { return root_ / fmt::format("point{:04d}.log", slot); }

// Keyed by the expansion, so a sweep run anew (--force-new) never picks up
// an experiment of the sweep it replaced.
fs::path SweepRunner::point_id_file(std::size_t slot) const {
  return root_ / fmt::format("point{:04d}.{}.exp_id", slot, spec_.fingerprint);
}

void SweepRunner::start(std::size_t slot) {
  const SweepIndex index = SweepIndex::read(index_file_);
  const PointRecord& record = index.points[slot];
  const fs::path id_file = point_id_file(slot);
  // A sweep killed before it read a new point's id still finds it here.
  const std::optional<int> exp_id = record.exp_id ? record.exp_id : read_id_file(id_file);

  std::vector<std::string> arguments = options_.command;
  if (exp_id) {
    arguments.insert(arguments.end(), {"--exp-id", std::to_string(*exp_id)});
  } else {
    if (spec_.base_config) arguments.insert(arguments.end(), {"--config", spec_.base_config->string()});
    for (const auto& assignment : spec_.fixed_overrides) arguments.insert(arguments.end(), {"--set", assignment});
    for (const auto& assignment : spec_.points[slot].overrides())
      arguments.insert(arguments.end(), {"--set", assignment});
    arguments.insert(arguments.end(), {"--exp-id-file", id_file.string()});
  }
  std::cout << fmt::format("sweep {}: point {} ({}) {}\n", spec_.name, slot, assignment_text(record.assignments),
                           exp_id ? "resumes " + Logbook::experiment_name(*exp_id) : "starts")
            << std::flush;
  children_.push_back(Child{slot, ChildProcess(arguments, point_log(slot)), id_file, exp_id});
  if (exp_id) record_exp_id(slot, *exp_id);
}

void SweepRunner::record_exp_id(std::size_t slot, int id) {
  update_index([&](SweepIndex& index) { index.points[slot].exp_id = id; });
}

void SweepRunner::learn_experiment_ids() {
  for (auto& child : children_)
    if (!child.exp_id)
      if (const auto id = read_id_file(child.id_file)) {
        child.exp_id = id;
        record_exp_id(child.slot, *id);
      }
}

void SweepRunner::beat() {
  if (children_.empty()) return;
  update_index([&](SweepIndex& index) {
    for (const auto& child : children_) index.points[child.slot].heartbeat = unix_now();
  });
}

void SweepRunner::reap_children() {
  for (auto it = children_.begin(); it != children_.end();) {
    if (!it->process.poll()) {
      ++it;
      continue;
    }
    if (!it->exp_id) it->exp_id = read_id_file(it->id_file);
    const bool ok = it->process.succeeded();
    const std::size_t slot = it->slot;
    std::string message;
    update_index([&](SweepIndex& index) {
      PointRecord& point = index.points[slot];
      if (it->exp_id) point.exp_id = it->exp_id;
      if (point.status == PointStatus::Pruned) {
        message = point.message;
        return;
      }
      point.status = ok ? PointStatus::Done : PointStatus::Failed;
      if (!ok)
        point.message = it->process.signal() ? fmt::format("killed by signal {}", *it->process.signal())
                                             : last_line(point_log(slot));
      message = point.message;
    });
    std::cout << fmt::format("sweep {}: point {} {}{}\n", spec_.name, slot, ok ? "done" : "ended",
                             message.empty() ? "" : ": " + message)
              << std::flush;
    if (it->exp_id) write_hparams_session(slot, *it->exp_id, ok);
    it = children_.erase(it);
  }
}

// The target metric per validated epoch of an experiment's fold 0.
std::map<int, double> SweepRunner::epoch_metrics(int exp_id) const {
  std::map<int, double> metrics;
  try {
    for (const auto& file : tensorboard::EventReader::find_event_files(logbook_.stats_dir(exp_id, 0)))
      for (const auto& point : tensorboard::EventReader::read_scalars(file))
        if (point.tag == "valid_metric") metrics[static_cast<int>(point.step)] = point.value;
  } catch (const std::exception&) {
    // A file being written may end mid-record; judge from what was readable.
  }
  return metrics;
}

void SweepRunner::prune_children() {
  const SweepIndex index = SweepIndex::read(index_file_);
  std::vector<std::map<int, double>> finished;
  for (const auto& point : index.points)
    if (point.status == PointStatus::Done && point.exp_id) finished.push_back(epoch_metrics(*point.exp_id));
  const PruneRule rule{spec_.prune.method, spec_.prune.after_epoch, spec_.prune.min_finished, spec_.prune.eta};
  for (auto& child : children_) {
    if (!child.exp_id) continue;
    const auto mine = epoch_metrics(*child.exp_id);
    if (mine.empty()) continue;
    const auto epoch = judging_epoch(mine.rbegin()->first, rule);
    if (!epoch || mine.count(*epoch) == 0) continue;
    std::vector<double> others;
    for (const auto& metrics : finished)
      if (const auto it = metrics.find(*epoch); it != metrics.end()) others.push_back(it->second);
    const auto reason = prune_reason(mine.at(*epoch), *epoch, others, rule, options_.higher_is_better);
    if (!reason) continue;
    update_index([&](SweepIndex& updated) {
      updated.points[child.slot].status = PointStatus::Pruned;
      updated.points[child.slot].message = *reason;
    });
    child.process.send(SIGTERM);
  }
}

// TensorBoard's HParams view of the sweep: the experiment (hyper-parameters
// with the values the sweep gives them, and the metric) in the sweep's
// root, one run folder per finished point with its values and its
// validation curve.
void SweepRunner::write_hparams_experiment() {
  std::vector<tensorboard::EventWriter::HParamDomain> domains;
  for (std::size_t axis = 0; axis < spec_.points.front().assignments.size(); ++axis) {
    tensorboard::EventWriter::HParamDomain domain{spec_.points.front().assignments[axis].first, {}};
    for (const auto& point : spec_.points) {
      const auto value = hparam_value(point.assignments[axis].second);
      if (std::find(domain.values.begin(), domain.values.end(), value) == domain.values.end())
        domain.values.push_back(value);
    }
    // A domain mixing kinds (numbers and texts) has no single type: leave it open.
    const bool one_kind = std::all_of(domain.values.begin(), domain.values.end(), [&](const auto& value) {
      return value.is_number() == domain.values.front().is_number() &&
             value.is_text() == domain.values.front().is_text();
    });
    if (!one_kind) domain.values.clear();
    domains.push_back(std::move(domain));
  }
  tensorboard::EventWriter writer(root_, ".sweep");
  writer.add_hparams_experiment_with_domains(domains, {"valid_metric"});
}

void SweepRunner::write_hparams_session(std::size_t slot, int exp_id, bool success) {
  try {
    std::map<std::string, tensorboard::HParamValue> hparams;
    for (const auto& [key, value] : spec_.points[slot].assignments) hparams.emplace(key, hparam_value(value));
    tensorboard::EventWriter writer(root_ / Logbook::experiment_name(exp_id), ".sweep");
    writer.add_hparams_session_start(hparams, Logbook::experiment_name(exp_id), static_cast<double>(unix_now()));
    for (const auto& [epoch, value] : epoch_metrics(exp_id)) writer.add_scalar("valid_metric", value, epoch);
    writer.add_hparams_session_end(success, static_cast<double>(unix_now()));
  } catch (const std::exception& error) {
    std::cerr << "qlhost sweep: warning: no HParams record for point " << slot << ": " << error.what() << "\n";
  }
}

int SweepRunner::summarize() {
  const SweepIndex index = SweepIndex::read(index_file_);
  std::map<PointStatus, int> counts;
  for (const auto& point : index.points) ++counts[point.status];
  std::cout << fmt::format("sweep {}: {} point(s): {} done, {} pruned, {} failed, {} pending, {} running elsewhere\n",
                           spec_.name, index.points.size(), counts[PointStatus::Done], counts[PointStatus::Pruned],
                           counts[PointStatus::Failed], counts[PointStatus::Pending], counts[PointStatus::Running])
            << fmt::format("index: {}\ncompare them: qlhost compare --plugin {} --sweep {}\n", index_file_.string(),
                           options_.plugin, spec_.name);
  return counts[PointStatus::Failed];
}

}  // namespace quantlab::sweep

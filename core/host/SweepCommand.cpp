// qlhost sweep: expands a sweep file into points and trains each as its own
// experiment, a child qlhost per point (--jobs of them at once), recording
// them in the sweep index. Running the same command again resumes: done
// points are skipped, failed or dead ones resume from their checkpoints,
// pending ones start.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "host/Commands.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"
#include "manager/sweep/Pruning.h"
#include "manager/sweep/SweepIndex.h"
#include "manager/sweep/SweepSpec.h"
#include "manager/tensorboard/EventReader.h"
#include "manager/tensorboard/EventWriter.h"
#include "manager/train/Trainer.h"
#include "quantlab/Clock.h"
#include "quantlab/Errors.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace quantlab {
namespace {

using sweep::PointRecord;
using sweep::PointStatus;
using sweep::SweepIndex;

struct SweepOptions {
  std::string plugin;
  std::string topology;
  std::string sweep_file;
  std::string home;
  std::vector<std::string> overrides;
  int jobs = 1;
  int ranks = 1;
  std::optional<int> threads;
  bool force_new = false;
};

po::options_description sweep_options_description(SweepOptions& options) {
  po::options_description description("qlhost sweep --plugin PATH --topology NAME --sweep FILE [options]");
  description.add_options()
      ("help,h", "this help")
      ("plugin", po::value(&options.plugin)->required(), "problem plugin")
      ("topology", po::value(&options.topology)->required(), "topology every point trains")
      ("sweep", po::value(&options.sweep_file)->required(),
       "sweep file (YAML), e.g. configs/fashionmnist/sweeps/SimpleCNN.lr.yaml")
      ("set", po::value(&options.overrides)->composing(),
       "dotted.key=value for every point, or dotted.key=a,b,c: one more grid axis (repeatable)")
      ("jobs", po::value(&options.jobs), "points trained at once (default 1); they share the cores")
      ("ranks", po::value(&options.ranks), "MPI ranks per point: each point runs under mpirun -np N (default 1)")
      ("threads", po::value<int>(), "intra-op threads per rank (default: cores / (jobs x ranks))")
      ("home", po::value(&options.home), "QuantLab home (default $QUANTLAB_HOME, else the current directory)")
      ("force-new", po::bool_switch(&options.force_new),
       "the sweep file changed since its points ran: keep the old index aside and start the sweep anew");
  return description;
}

std::string assignment_text(const std::vector<std::pair<std::string, YAML::Node>>& assignments) {
  std::string text;
  for (const auto& [key, value] : assignments) {
    YAML::Emitter out;
    out << YAML::Flow << value;
    text += (text.empty() ? "" : " ") + key + "=" + out.c_str();
  }
  return text;
}

// One point being trained by a child process of this sweep.
struct Child {
  std::size_t slot = 0;  // index into the index's points
  pid_t pid = -1;
  fs::path id_file;
  std::optional<int> exp_id;
};

class SweepRunner {
 public:
  SweepRunner(const SweepOptions& options, const sweep::SweepSpec& spec, const LoadedPlugin& plugin,
              const Topology& topology, Logbook logbook)
      : options_(options),
        spec_(spec),
        plugin_(plugin),
        topology_(topology),
        logbook_(std::move(logbook)),
        index_file_(SweepIndex::path(logbook_.logs_folder(), spec.name)),
        root_(index_file_.parent_path()),
        owner_(sweep::this_owner()),
        qlhost_(fs::read_symlink("/proc/self/exe")) {}

  // Every point's config is read and checked before anything runs.
  void check_points() {
    const std::unique_ptr<Meter> meter = plugin_.problem->meter();
    for (const auto& point : spec_.points) {
      try {
        const ExperimentConfig config = point_config(point);
        check_config(*plugin_.problem, topology_, config, logbook_);
        if (point.index == 0) target_ = target_of(config, *meter);
      } catch (const ConfigError& error) {
        throw ConfigError(spec_.file.string() + ": point " + std::to_string(point.index) + " (" +
                          assignment_text(point.assignments) + "): " + error.what());
      }
    }
  }

  // Creates the index, or checks that the existing one records this very sweep.
  void open_index() {
    const sweep::IndexLock lock(index_file_);
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

  // Returns the number of points that failed.
  int run() {
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

 private:
  ExperimentConfig point_config(const sweep::Point& point) const {
    std::vector<std::string> overrides = spec_.fixed_overrides;
    for (const auto& assignment : point.overrides()) overrides.push_back(assignment);
    const ConfigText text = read_config(plugin_.name, topology_,
                                        spec_.base_config ? spec_.base_config->string() : std::string(), overrides);
    return ExperimentConfig::parse(text.root, text.source);
  }

  template <typename Change>
  void update_index(const Change& change) {
    const sweep::IndexLock lock(index_file_);
    SweepIndex index = SweepIndex::read(index_file_);
    change(index);
    index.write(index_file_);
  }

  // The next point to train, marked running by this process; none when every
  // point is done, pruned, attempted already, or alive in another process.
  std::optional<std::size_t> claim_next_point(const std::set<std::size_t>& attempted) {
    std::optional<std::size_t> claimed;
    update_index([&](SweepIndex& index) {
      const auto now = unix_now();
      for (std::size_t slot = 0; slot < index.points.size() && !claimed; ++slot) {
        PointRecord& point = index.points[slot];
        if (attempted.count(slot)) continue;
        const bool startable = point.status == PointStatus::Pending || point.status == PointStatus::Failed ||
                               point.dead(now);
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

  bool others_running() {
    const SweepIndex index = [&] {
      const sweep::IndexLock lock(index_file_);
      return SweepIndex::read(index_file_);
    }();
    const auto now = unix_now();
    return std::any_of(index.points.begin(), index.points.end(), [&](const PointRecord& point) {
      return point.status == PointStatus::Running && point.owner != owner_ && !point.dead(now);
    });
  }

  fs::path point_log(std::size_t slot) const { return root_ / fmt::format("point{:04d}.log", slot); }
  // Keyed by the expansion, so a sweep run anew (--force-new) never picks up
  // an experiment of the sweep it replaced.
  fs::path point_id_file(std::size_t slot) const {
    return root_ / fmt::format("point{:04d}.{}.exp_id", slot, spec_.fingerprint);
  }

  std::optional<int> read_id_file(const fs::path& file) const {
    std::ifstream stream(file);
    int id = -1;
    if (stream >> id && id >= 0) return id;
    return std::nullopt;
  }

  int threads_per_rank() const {
    if (options_.threads) return *options_.threads;
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, cores / (options_.jobs * options_.ranks));
  }

  void start(std::size_t slot) {
    const SweepIndex index = SweepIndex::read(index_file_);
    const PointRecord& record = index.points[slot];
    Child child;
    child.slot = slot;
    child.id_file = point_id_file(slot);
    // A sweep killed before it read a new point's id still finds it here.
    child.exp_id = record.exp_id ? record.exp_id : read_id_file(child.id_file);

    std::vector<std::string> arguments;
    if (options_.ranks > 1) {
      arguments = {"mpirun", "-np", std::to_string(options_.ranks)};
      if (::geteuid() == 0) arguments.push_back("--allow-run-as-root");
    }
    arguments.insert(arguments.end(), {qlhost_.string(), "--plugin", plugin_.path.string(), "--topology",
                                       options_.topology, "--home", logbook_home(), "--threads",
                                       std::to_string(threads_per_rank())});
    if (child.exp_id) {
      arguments.insert(arguments.end(), {"--exp-id", std::to_string(*child.exp_id)});
    } else {
      if (spec_.base_config) arguments.insert(arguments.end(), {"--config", spec_.base_config->string()});
      for (const auto& assignment : spec_.fixed_overrides) arguments.insert(arguments.end(), {"--set", assignment});
      for (const auto& assignment : spec_.points[slot].overrides())
        arguments.insert(arguments.end(), {"--set", assignment});
      arguments.insert(arguments.end(), {"--exp-id-file", child.id_file.string()});
    }
    std::cout << fmt::format("sweep {}: point {} ({}) {}\n", spec_.name, slot,
                             assignment_text(record.assignments),
                             child.exp_id ? "resumes " + Logbook::experiment_name(*child.exp_id) : "starts")
              << std::flush;
    child.pid = spawn(arguments, point_log(slot));
    children_.push_back(child);
    if (child.exp_id) record_exp_id(slot, *child.exp_id);
  }

  std::string logbook_home() const { return resolve_home(options_.home); }

  // The child dies with this process (PR_SET_PDEATHSIG), so a killed sweep
  // leaves no point training unseen.
  static pid_t spawn(const std::vector<std::string>& arguments, const fs::path& log) {
    std::vector<char*> argv;
    for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw StorageError("qlhost sweep: cannot start a point (fork failed)");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  void record_exp_id(std::size_t slot, int id) {
    update_index([&](SweepIndex& index) { index.points[slot].exp_id = id; });
  }

  void learn_experiment_ids() {
    for (auto& child : children_)
      if (!child.exp_id)
        if (const auto id = read_id_file(child.id_file)) {
          child.exp_id = id;
          record_exp_id(child.slot, *id);
        }
  }

  void beat() {
    if (children_.empty()) return;
    update_index([&](SweepIndex& index) {
      for (const auto& child : children_) index.points[child.slot].heartbeat = unix_now();
    });
  }

  std::string last_line(const fs::path& file) const {
    std::ifstream stream(file);
    std::string line, last;
    while (std::getline(stream, line))
      if (!line.empty()) last = line;
    return last;
  }

  void reap_children() {
    for (auto it = children_.begin(); it != children_.end();) {
      int status = 0;
      if (::waitpid(it->pid, &status, WNOHANG) != it->pid) {
        ++it;
        continue;
      }
      if (!it->exp_id) it->exp_id = read_id_file(it->id_file);
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
          point.message = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
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
  std::map<int, double> epoch_metrics(int exp_id) const {
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

  void prune_children() {
    const SweepIndex index = SweepIndex::read(index_file_);
    std::vector<std::map<int, double>> finished;
    for (const auto& point : index.points)
      if (point.status == PointStatus::Done && point.exp_id) finished.push_back(epoch_metrics(*point.exp_id));
    const sweep::PruneRule rule{spec_.prune.method, spec_.prune.after_epoch, spec_.prune.min_finished,
                                spec_.prune.eta};
    for (auto& child : children_) {
      if (!child.exp_id) continue;
      const auto mine = epoch_metrics(*child.exp_id);
      if (mine.empty()) continue;
      const auto epoch = sweep::judging_epoch(mine.rbegin()->first, rule);
      if (!epoch || mine.count(*epoch) == 0) continue;
      std::vector<double> others;
      for (const auto& metrics : finished)
        if (const auto it = metrics.find(*epoch); it != metrics.end()) others.push_back(it->second);
      const auto reason = sweep::prune_reason(mine.at(*epoch), *epoch, others, rule, target_.higher_is_better);
      if (!reason) continue;
      update_index([&](SweepIndex& updated) {
        updated.points[child.slot].status = PointStatus::Pruned;
        updated.points[child.slot].message = *reason;
      });
      ::kill(child.pid, SIGTERM);
    }
  }

  // TensorBoard's HParams view of the sweep: the experiment (hyper-parameters
  // with the values the sweep gives them, and the metric) in the sweep's
  // root, one run folder per finished point with its values and its
  // validation curve.
  void write_hparams_experiment() {
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

  // YAML scalars as numbers, flags or texts; lists and maps as their flow text.
  static tensorboard::HParamValue hparam_value(const YAML::Node& value) {
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

  void write_hparams_session(std::size_t slot, int exp_id, bool success) {
    try {
      std::map<std::string, tensorboard::HParamValue> hparams;
      for (const auto& [key, value] : spec_.points[slot].assignments) hparams.emplace(key, hparam_value(value));
      tensorboard::EventWriter writer(root_ / Logbook::experiment_name(exp_id), ".sweep");
      writer.add_hparams_session_start(hparams, Logbook::experiment_name(exp_id),
                                       static_cast<double>(unix_now()));
      for (const auto& [epoch, value] : epoch_metrics(exp_id)) writer.add_scalar("valid_metric", value, epoch);
      writer.add_hparams_session_end(success, static_cast<double>(unix_now()));
    } catch (const std::exception& error) {
      std::cerr << "qlhost sweep: warning: no HParams record for point " << slot << ": " << error.what() << "\n";
    }
  }

  int summarize() {
    const SweepIndex index = SweepIndex::read(index_file_);
    std::map<PointStatus, int> counts;
    for (const auto& point : index.points) ++counts[point.status];
    std::cout << fmt::format("sweep {}: {} point(s): {} done, {} pruned, {} failed, {} pending, {} running elsewhere\n",
                             spec_.name, index.points.size(), counts[PointStatus::Done], counts[PointStatus::Pruned],
                             counts[PointStatus::Failed], counts[PointStatus::Pending], counts[PointStatus::Running])
              << fmt::format("index: {}\ncompare them: qlhost compare --plugin {} --sweep {}\n", index_file_.string(),
                             plugin_.path.string(), spec_.name);
    return counts[PointStatus::Failed];
  }

  const SweepOptions& options_;
  const sweep::SweepSpec& spec_;
  const LoadedPlugin& plugin_;
  const Topology& topology_;
  Logbook logbook_;
  fs::path index_file_;
  fs::path root_;
  std::string owner_;
  fs::path qlhost_;
  Target target_;
  std::vector<Child> children_;
};

}  // namespace

int sweep_command(const Arguments& arguments) {
  SweepOptions options;
  const auto description = sweep_options_description(options);
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;
  if (values.count("threads")) options.threads = values["threads"].as<int>();
  if (options.jobs < 1) throw ConfigError("--jobs " + std::to_string(options.jobs) + ": expected a positive integer");
  if (options.ranks < 1)
    throw ConfigError("--ranks " + std::to_string(options.ranks) + ": expected a positive integer");
  if (options.threads && *options.threads < 1)
    throw ConfigError("--threads " + std::to_string(*options.threads) + ": expected a positive integer");

  const sweep::SweepSpec spec = sweep::SweepSpec::load(options.sweep_file, options.overrides);
  if (spec.topology && *spec.topology != options.topology)
    throw ConfigError(options.sweep_file + ": topology: expected the --topology it is run with (" + options.topology +
                      "), got " + *spec.topology);
  const LoadedPlugin plugin = load_plugin(options.plugin);
  const auto topology = plugin.topology(options.topology);
  const StorageMap storage(resolve_home(options.home));
  const ProblemDirs dirs = storage.problem_dirs(plugin.name);
  for (const auto& notice : dirs.notices) std::cout << notice << "\n";

  SweepRunner runner(options, spec, plugin, *topology, Logbook(dirs.logs));
  runner.check_points();
  runner.open_index();
  std::cout << fmt::format("sweep {}: {} point(s), {} at once; index {}\n", spec.name, spec.points.size(),
                           options.jobs, SweepIndex::path(dirs.logs, spec.name).string())
            << std::flush;
  const int failed = runner.run();
  return failed == 0 ? 0 : 1;
}

}  // namespace quantlab

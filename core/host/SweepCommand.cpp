// qlhost sweep: reads the options and the sweep file, checks every point's
// config against the plugin and topology, and hands the points to the sweep
// runner (manager/sweep/SweepRunner), which trains each as its own
// experiment in a child qlhost.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "host/Commands.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"
#include "manager/sweep/SweepIndex.h"
#include "manager/sweep/SweepRunner.h"
#include "manager/sweep/SweepSpec.h"
#include "manager/train/Trainer.h"
#include "quantlab/Errors.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace quantlab {
namespace {

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

// Every point's config is read and checked before anything runs; returns
// the target metric's direction (point 0's).
bool check_points(const sweep::SweepSpec& spec, const LoadedPlugin& plugin, const Topology& topology,
                  const Logbook& logbook) {
  const std::unique_ptr<Meter> meter = plugin.problem->meter();
  bool higher_is_better = false;
  for (const auto& point : spec.points) {
    try {
      std::vector<std::string> overrides = spec.fixed_overrides;
      for (const auto& assignment : point.overrides()) overrides.push_back(assignment);
      const ConfigText text = read_config(plugin.name, topology,
                                          spec.base_config ? spec.base_config->string() : std::string(), overrides);
      const ExperimentConfig config = ExperimentConfig::parse(text.root, text.source);
      check_config(*plugin.problem, topology, config, logbook);
      if (point.index == 0) higher_is_better = target_of(config, *meter).higher_is_better;
    } catch (const ConfigError& error) {
      throw ConfigError(spec.file.string() + ": point " + std::to_string(point.index) + " (" +
                        sweep::assignment_text(point.assignments) + "): " + error.what());
    }
  }
  return higher_is_better;
}

// The command line that trains one point, before the point's own options.
std::vector<std::string> point_command(const SweepOptions& options, const LoadedPlugin& plugin) {
  std::vector<std::string> command;
  if (options.ranks > 1) {
    command = {"mpirun", "-np", std::to_string(options.ranks)};
    if (::geteuid() == 0) command.push_back("--allow-run-as-root");
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = options.threads ? *options.threads : std::max(1, cores / (options.jobs * options.ranks));
  command.insert(command.end(), {fs::read_symlink("/proc/self/exe").string(), "--plugin", plugin.path.string(),
                                 "--topology", options.topology, "--home", resolve_home(options.home), "--threads",
                                 std::to_string(threads)});
  return command;
}

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

  const Logbook logbook(dirs.logs);
  const bool higher_is_better = check_points(spec, plugin, *topology, logbook);
  sweep::SweepRunner runner({.command = point_command(options, plugin),
                             .logs = dirs.logs,
                             .topology = options.topology,
                             .plugin = plugin.path.string(),
                             .jobs = options.jobs,
                             .force_new = options.force_new,
                             .higher_is_better = higher_is_better},
                            spec);
  runner.open_index();
  std::cout << fmt::format("sweep {}: {} point(s), {} at once; index {}\n", spec.name, spec.points.size(),
                           options.jobs, sweep::SweepIndex::path(dirs.logs, spec.name).string())
            << std::flush;
  const int failed = runner.run();
  return failed == 0 ? 0 : 1;
}

}  // namespace quantlab

// `qlhost --plugin P --topology T ...`: create or continue an experiment and
// train it, or test its checkpoints.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "host/Commands.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/dist/Communicator.h"
#include "manager/dist/DeviceCommunicator.h"
#include "quantlab/AtomicFile.h"
#include "manager/logbook/ExperimentLock.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"
#include "manager/train/ComputeThreads.h"
#include "manager/train/Device.h"
#include "manager/train/Trainer.h"

namespace po = boost::program_options;

namespace quantlab {

namespace {

struct RunOptions {
  std::string plugin;
  std::string topology;
  std::optional<int> experiment_id;
  std::string mode = "train";
  std::string config_file;
  std::vector<std::string> overrides;
  std::optional<int> ckpt_every;
  std::string home;
  std::optional<int> threads;
  std::string exp_id_file;
  bool integer = false;
  std::string device;  // empty: the experiment's experiment.device
};

po::options_description run_options_description(RunOptions& options) {
  po::options_description description("qlhost --plugin PATH --topology NAME [options]");
  description.add_options()
      ("help,h", "this help")
      ("plugin", po::value(&options.plugin)->required(), "problem plugin, e.g. build/problems/libfashionmnist.so")
      ("topology", po::value(&options.topology)->required(), "topology (network family) of the problem, e.g. SimpleCNN")
      ("exp-id", po::value<int>(), "an existing experiment: resume its training, or test it")
      ("mode", po::value(&options.mode), "train (default) or test")
      ("config", po::value(&options.config_file), "experiment config YAML (default: the topology's own)")
      ("set", po::value(&options.overrides)->composing(), "override dotted.key=value, typed by YAML (repeatable)")
      ("ckpt-every", po::value<int>(), "checkpoint every K epochs (default experiment.ckpt_every)")
      ("home", po::value(&options.home), "QuantLab home (default $QUANTLAB_HOME, else the current directory)")
      ("threads", po::value<int>(), "intra-op threads per rank (default: cores / ranks on this machine)")
      ("device", po::value(&options.device),
       "auto, cpu, cuda or cuda:N: where this run trains or tests (default: the experiment's experiment.device, "
       "else auto); for this run only, so an experiment trained on a GPU resumes or tests on a CPU")
      ("integer", po::bool_switch(&options.integer),
       "test mode: also integerize the network and report the integer network's metrics next to the "
       "fake-quantized ones")
      ("exp-id-file", po::value(&options.exp_id_file),
       "write the experiment's id to this file once it exists (how qlhost sweep learns it)");
  return description;
}

std::shared_ptr<spdlog::logger> make_logger(const std::optional<std::filesystem::path>& log_file, bool root) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stdout_sink_mt>()};
  if (log_file) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file->string()));
    } catch (const spdlog::spdlog_ex& error) {
      throw StorageError(log_file->string() + ": cannot append to the experiment's log (" + error.what() +
                         "); expected a writable experiment folder");
    }
  }
  auto logger = std::make_shared<spdlog::logger>("qlhost", sinks.begin(), sinks.end());
  logger->set_pattern("[%Y-%m-%d %H:%M:%S] %v");
  logger->set_level(root ? spdlog::level::info : spdlog::level::warn);
  // spdlog would print a failed write (a full disk) and go on: stop instead.
  if (log_file)
    logger->set_error_handler([file = log_file->string()](const std::string& message) {
      throw StorageError(file + ": cannot append to the experiment's log: " + message);
    });
  logger->flush_on(spdlog::level::info);
  return logger;
}

std::uint64_t draw_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 16 ^ device()) % 1000000007ull;
}

std::string yaml_text(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::string resolve_home(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* home = std::getenv("QUANTLAB_HOME"); home && *home) return home;
  return std::filesystem::current_path().string();
}

ConfigText read_config(const std::string& problem, const Topology& topology, const std::string& config_file,
                       const std::vector<std::string>& overrides) {
  ConfigText text;
  text.source = config_file.empty() ? "<default config of " + problem + "/" + topology.name() + ">" : config_file;
  text.root = config_file.empty() ? parse_yaml(topology.default_config(), text.source) : load_config_file(config_file);
  for (const auto& assignment : overrides) apply_override(text.root, assignment);
  return text;
}

bool parse_command_line(const Arguments& arguments, const po::options_description& description,
                        po::variables_map& values) {
  po::store(po::command_line_parser(arguments).options(description).run(), values);
  if (values.count("help")) {
    std::cout << description;
    return false;
  }
  po::notify(values);
  return true;
}

int default_threads(const Communicator& communicator) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, communicator.local_size()));
}

int run_experiment(const Arguments& arguments, Communicator& communicator) {
  RunOptions options;
  const auto description = run_options_description(options);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(description).run(), values);
  if (values.count("help")) {
    if (communicator.is_root()) std::cout << description;
    return 0;
  }
  po::notify(values);
  if (values.count("exp-id")) options.experiment_id = values["exp-id"].as<int>();
  if (values.count("ckpt-every")) options.ckpt_every = values["ckpt-every"].as<int>();
  if (values.count("threads")) options.threads = values["threads"].as<int>();
  if (options.mode != "train" && options.mode != "test")
    throw ConfigError("--mode " + options.mode + ": expected train or test");
  if (options.mode == "test" && !options.experiment_id)
    throw ConfigError("--mode test: expected --exp-id N, the experiment to test");
  if (options.integer && options.mode != "test")
    throw ConfigError("--integer: only with --mode test --exp-id N");
  if (options.experiment_id && (!options.config_file.empty() || !options.overrides.empty()))
    throw ConfigError("--exp-id " + std::to_string(*options.experiment_id) +
                      ": the experiment's config.yaml is fixed; --config and --set start a new experiment instead");
  if (options.ckpt_every && *options.ckpt_every < 1)
    throw ConfigError("--ckpt-every " + std::to_string(*options.ckpt_every) + ": expected a positive integer");
  if (options.threads && *options.threads < 1)
    throw ConfigError("--threads " + std::to_string(*options.threads) + ": expected a positive integer");
  if (!options.device.empty() && !is_device_name(options.device))
    throw ConfigError("--device " + options.device + ": expected " + kDeviceNames);
  // --device, else the experiment's; refused (one line) before anything is written.
  const int local_rank =
      local_rank_from_environment(communicator.rank() % std::max(1, communicator.local_size()));
  const auto device_of = [&](const ExperimentConfig& experiment) {
    if (!options.device.empty()) return resolve_device(options.device, local_rank, "--device");
    return resolve_device(experiment.device, local_rank, experiment.source + ": experiment.device");
  };

  configure_compute(options.threads.value_or(default_threads(communicator)));

  const LoadedPlugin plugin = load_plugin(options.plugin);
  const auto topology = plugin.topology(options.topology);
  const StorageMap storage(resolve_home(options.home));
  ProblemDirs dirs;
  if (communicator.is_root()) {
    dirs = storage.problem_dirs(plugin.name);
    for (const auto& notice : dirs.notices) std::cout << notice << "\n";
  }
  communicator.barrier();
  if (!communicator.is_root()) dirs = {storage.problem_folder(plugin.name) / "data",
                                       storage.problem_folder(plugin.name) / "logs", {}};
  const Logbook logbook(dirs.logs);

  // Data first: a missing or damaged file must fail before an experiment exists.
  std::shared_ptr<Dataset> train_data;
  if (options.mode == "train") train_data = plugin.problem->dataset(Partition::train, dirs.data);
  const std::shared_ptr<Dataset> test_data = plugin.problem->dataset(Partition::test, dirs.data);

  // Rank 0 decides the experiment and its config; the others receive them.
  std::string config_text;
  std::string id_text;
  std::optional<ExperimentLock> writer;  // held while training; --mode test only reads
  // Threads per rank: --threads, else the experiment's own, else this machine's default.
  const auto threads_of = [&](const ExperimentConfig& experiment) {
    return options.threads.value_or(experiment.threads.value_or(default_threads(communicator)));
  };
  if (communicator.is_root()) {
    if (options.experiment_id) {
      const int id = *options.experiment_id;
      logbook.open_experiment(id);
      if (options.mode == "train") writer.emplace(logbook.experiment_dir(id));
      config_text = yaml_text(load_yaml_file(logbook.config_file(id)));
      id_text = std::to_string(id);
    } else {
      const ConfigText text = read_config(plugin.name, *topology, options.config_file, options.overrides);
      ExperimentConfig config = ExperimentConfig::parse(text.root, text.source);
      check_config(*plugin.problem, *topology, config, logbook);  // before anything is written
      device_of(config);
      if (train_data && config.n_folds > train_data->size())
        throw ConfigError(text.source + ": experiment.n_folds: expected at most " +
                          std::to_string(train_data->size()) + " (the training samples, so that every fold " +
                          "validates on at least one), got " + std::to_string(config.n_folds));
      if (!config.seed) set_seed(config, draw_seed());
      set_run_options(config, threads_of(config), options.ckpt_every);
      const int id = logbook.create_experiment();
      writer.emplace(logbook.experiment_dir(id));
      config_text = yaml_text(config.root);
      write_file_atomically(logbook.config_file(id), config_text);
      id_text = std::to_string(id);
    }
    if (!options.exp_id_file.empty()) write_file_atomically(options.exp_id_file, id_text + "\n");
  }
  communicator.broadcast(config_text);
  communicator.broadcast(id_text);
  const int id = std::stoi(id_text);
  const std::filesystem::path config_file = logbook.config_file(id);
  ExperimentConfig config = ExperimentConfig::parse(parse_yaml(config_text, config_file.string()), config_file.string());
  if (!config.seed) throw ConfigError(config_file.string() + ": experiment.seed: expected the experiment's seed");
  if (options.ckpt_every) config.ckpt_every = *options.ckpt_every;
  const torch::Device device = device_of(config);
  // NCCL is made by every rank or by none: all ranks on GPUs, or all on CPUs.
  torch::Tensor on_gpu = torch::full({1}, device.is_cuda() ? 1.0 : 0.0, torch::kDouble);
  communicator.allreduce_sum(on_gpu);
  const int ranks_on_gpu = static_cast<int>(on_gpu.item<double>());
  if (ranks_on_gpu != 0 && ranks_on_gpu != communicator.size())
    throw ConfigError(fmt::format("{}: {} of {} ranks have a usable GPU; expected all or none (pass --device cpu, or "
                                  "run as many ranks per machine as it has GPUs)",
                                  options.device.empty() ? config.source + ": experiment.device " + config.device
                                                         : "--device " + options.device,
                                  ranks_on_gpu, communicator.size()));
  use_device(device, config.deterministic);
  // CUDA tensors' collectives go through NCCL (between ranks), the rest through MPI.
  const std::unique_ptr<DeviceCommunicator> ranks = make_device_communicator(communicator, device);
  // The experiment's thread count, unless --threads says otherwise.
  const int threads = threads_of(config);
  if (threads != torch::get_num_threads()) configure_compute(threads);

  auto log = make_logger(communicator.is_root() ? std::optional(logbook.log_file(id)) : std::nullopt,
                         communicator.is_root());
  log->info("experiment {} of problem {} (plugin {} {}), topology {}: {} in {}", Logbook::experiment_name(id),
            plugin.name, plugin.path.string(), plugin.version, topology->name(), options.mode,
            logbook.experiment_dir(id).string());
  log->info("{} rank(s), {} thread(s) each, seed {}, rank 0 on {}{}", communicator.size(), torch::get_num_threads(),
            *config.seed, describe_device(device), config.deterministic ? ", deterministic algorithms" : "");
  if (communicator.is_root() && options.mode == "train" && options.experiment_id && config.threads &&
      threads != *config.threads)
    log->warn("--threads {}: the experiment trained with {} thread(s) so far; float sums split over another count "
              "differ, so this resume is not bit-identical to an uninterrupted run",
              threads, *config.threads);
  if (train_data) log->info("train data: {}", train_data->describe());
  log->info("test data: {}", test_data->describe());
  if (communicator.is_root())
    for (const auto& removed : remove_stale_temp_files(logbook.experiment_dir(id)))
      log->info("removed a temporary left by a killed run: {}", removed.string());

  RunContext context{*plugin.problem, *topology, config, logbook, id, train_data, test_data, *ranks, log, device};
  Trainer trainer(context);
  if (options.mode == "test") {
    trainer.test(options.integer);
    return 0;
  }
  if (!trainer.train()) {
    log->info("experiment {} is complete ({} fold(s) x {} epochs); nothing to train", Logbook::experiment_name(id),
              config.n_folds, config.n_epochs);
    return 0;
  }
  log->info("done: logs, checkpoints and TensorBoard files in {}", logbook.experiment_dir(id).string());
  log->info("view them with: tensorboard --logdir {}", logbook.experiment_dir(id).string());
  return 0;
}

}  // namespace quantlab

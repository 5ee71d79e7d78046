#include "host/TrainedExperiment.h"

#include "manager/storage/StorageMap.h"
#include "host/Commands.h"
#include "quantlab/Errors.h"

namespace po = boost::program_options;

namespace quantlab {
namespace {

std::filesystem::path checkpoint_file(const Logbook& logbook, const TrainedExperimentOptions& options) {
  if (options.checkpoint == "best") {
    const auto file = logbook.best_checkpoint(options.experiment_id, options.fold);
    if (!std::filesystem::exists(file))
      throw StorageError(file.string() + ": no best checkpoint (train the experiment first, or --checkpoint last)");
    return file;
  }
  const auto latest = logbook.latest_epoch_checkpoint(options.experiment_id, options.fold);
  if (!latest)
    throw StorageError(logbook.saves_dir(options.experiment_id, options.fold).string() +
                       ": no epochNNNN.ckpt (train the experiment first)");
  return latest->file;
}

}  // namespace

void TrainedExperimentOptions::add_to(po::options_description& description, const std::string& purpose) {
  description.add_options()
      ("plugin", po::value(&plugin)->required(), "problem plugin, e.g. build/problems/libfashionmnist.so")
      ("topology", po::value(&topology)->required(), "topology (network family) of the experiment")
      ("exp-id", po::value(&experiment_id)->required(), ("the trained experiment " + purpose).c_str())
      ("fold", po::value(&fold), "the fold whose network to use (default 0)")
      ("checkpoint", po::value(&checkpoint),
       "best (default) or last: the fold's best.ckpt or its newest epochNNNN.ckpt")
      ("home", po::value(&home), "QuantLab home (default $QUANTLAB_HOME, else the current directory)");
}

TrainedExperiment open_trained_experiment(const TrainedExperimentOptions& options) {
  if (options.checkpoint != "best" && options.checkpoint != "last")
    throw ConfigError("--checkpoint " + options.checkpoint + ": expected best or last");
  TrainedExperiment experiment;
  experiment.plugin = load_plugin(options.plugin);
  experiment.topology = experiment.plugin.topology(options.topology);
  // Read only: using an experiment never makes the problem's folders.
  const StorageMap storage(resolve_home(options.home));
  const std::filesystem::path problem_folder = storage.problem_folder(experiment.plugin.name);
  experiment.logbook = std::make_unique<Logbook>(problem_folder / "logs");
  const int id = options.experiment_id;
  experiment.logbook->open_experiment(id);
  const std::filesystem::path config_file = experiment.logbook->config_file(id);
  experiment.config = ExperimentConfig::parse(load_yaml_file(config_file), config_file.string());
  if (!experiment.config.seed)
    throw ConfigError(config_file.string() + ": experiment.seed: expected the experiment's seed");
  if (options.fold < 0 || options.fold >= experiment.config.n_folds)
    throw ConfigError("--fold " + std::to_string(options.fold) + ": experiment " + Logbook::experiment_name(id) +
                      " has folds 0 to " + std::to_string(experiment.config.n_folds - 1));
  experiment.checkpoint = checkpoint_file(*experiment.logbook, options);
  experiment.description = Logbook::experiment_name(id) + " (" + experiment.checkpoint.string() + ")";
  experiment.trained = load_trained_network(*experiment.topology, *experiment.plugin.problem->meter(),
                                            experiment.config, *experiment.logbook, experiment.checkpoint);
  experiment.test_data = experiment.plugin.problem->dataset(Partition::test, problem_folder / "data");
  return experiment;
}

}  // namespace quantlab

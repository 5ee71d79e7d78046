#pragma once
// The trained experiment a command uses without training it (export, bench):
// its config, the fold's checkpoint (best or last), the network restored from
// it as `--mode test` restores it, and the problem's test set. Read only:
// nothing is created, and every check runs before any work.
#include <filesystem>
#include <memory>
#include <string>

#include <boost/program_options.hpp>

#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/train/TrainedNetwork.h"
#include "quantlab/Dataset.h"

namespace quantlab {

struct TrainedExperimentOptions {
  std::string plugin;
  std::string topology;
  int experiment_id = 0;
  int fold = 0;
  std::string checkpoint = "best";
  std::string home;

  // --plugin, --topology, --exp-id (required), --fold, --checkpoint, --home;
  // `purpose` says what the experiment is for ("to export").
  void add_to(boost::program_options::options_description& description, const std::string& purpose);
};

struct TrainedExperiment {
  LoadedPlugin plugin;
  std::shared_ptr<Topology> topology;
  std::unique_ptr<Logbook> logbook;
  ExperimentConfig config;
  std::filesystem::path checkpoint;
  TrainedNetwork trained;
  std::shared_ptr<Dataset> test_data;
  // "exp0003 (/path/to/best.ckpt)": what errors and integerize name.
  std::string description;
};

TrainedExperiment open_trained_experiment(const TrainedExperimentOptions& options);

}  // namespace quantlab

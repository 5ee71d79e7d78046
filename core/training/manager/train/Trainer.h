#pragma once
// The training loop every problem shares: folds, epochs, controllers,
// validation, LR schedule, TensorBoard, checkpoints and resume, on one rank
// or many.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/dist/Communicator.h"
#include "manager/logbook/Logbook.h"
#include "quantlab/Problem.h"

namespace quantlab {

struct RunContext {
  const Problem& problem;
  const Topology& topology;
  const ExperimentConfig& config;  // seed set
  const Logbook& logbook;
  int experiment_id = 0;
  // Loaded before the experiment is made, so a data error leaves no trace.
  std::shared_ptr<Dataset> train_data;  // null in test mode
  std::shared_ptr<Dataset> test_data;
  Communicator& communicator;
  std::shared_ptr<spdlog::logger> log;
  // Where this rank trains and tests (manager/train/Device.h); `--integer`
  // tests the integer network on the CPU whatever this is.
  torch::Device device{torch::kCPU};
};

struct Evaluation {
  int fold = 0;
  std::filesystem::path checkpoint;
  int epoch = 0;
  double loss = 0;
  std::map<std::string, double> metrics;
};

// The metric that picks best.ckpt (experiment.target_metric, else the meter's
// main metric) and which way is better; ConfigError when the meter has no
// such metric.
struct Target {
  std::string metric;
  bool higher_is_better = false;
};
Target target_of(const ExperimentConfig& config, const Meter& meter);

// Builds what the config describes (network and its params, recipe,
// optimizer, LR schedule, loss, target metric) once, so that a bad config is
// refused before any experiment folder is made.
// network.pretrained is looked up in `logbook`.
void check_config(const Problem& problem, const Topology& topology, const ExperimentConfig& config,
                  const Logbook& logbook);

class Trainer {
 public:
  explicit Trainer(RunContext context);
  ~Trainer();

  // Trains every fold not yet complete, each from its newest checkpoint;
  // false when every fold was already complete.
  bool train();
  // Evaluates each fold's best checkpoint (else its newest) on the test data;
  // with `integer` also the integerized network (quantlib/deploy), logged
  // next to the fake-quantized metrics.
  std::vector<Evaluation> test(bool integer = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quantlab

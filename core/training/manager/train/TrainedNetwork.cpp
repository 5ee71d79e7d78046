#include "manager/train/TrainedNetwork.h"

#include <torch/torch.h>

#include "manager/data/Batcher.h"
#include "manager/train/StagedLrSchedule.h"
#include "manager/train/NetworkBuilder.h"
#include "manager/train/Optimizers.h"
#include "manager/train/Trainer.h"
#include "quantlab/Errors.h"
#include "quantlib/deploy/Integerize.h"

namespace quantlab {

TrainedNetwork load_trained_network(const Topology& topology, const Meter& meter, const ExperimentConfig& config,
                                    const Logbook& logbook, const std::filesystem::path& checkpoint) {
  BuiltNetwork built = build_network(topology, config, logbook_resolver(logbook));
  // The optimizer and schedule only take their part of the checkpoint.
  auto optimizer = make_optimizer(config.section("training.optimizer"), built.network->parameters());
  const Target target = target_of(config, meter);
  StagedLrSchedule schedule =
      StagedLrSchedule::make(config, learning_rate(*optimizer), target.metric, target.higher_is_better);
  TrainedNetwork trained{built.network, std::move(built.controllers), {}};
  trained.progress =
      load_checkpoint(checkpoint, TrainingState{*trained.network, *optimizer, schedule, trained.controllers});
  for (auto& controller : trained.controllers) controller->step_pre_validation(trained.progress.epochs_done - 1);
  trained.network->eval();
  return trained;
}

quantlib::deploy::IntegerNetwork integerize_trained(Network& network, const Topology& topology,
                                                    const ExperimentConfig& config, const Dataset& test_data,
                                                    const std::string& what) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(std::min(config.bs_valid, test_data.size())));
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::int64_t>(i);
  if (indices.empty())
    throw DataError(test_data.describe() + ": expected test samples to calibrate the integer network's input");
  return integerize_trained(network, data::read_batch(test_data, topology, indices, false, *config.seed).input, what);
}

quantlib::deploy::IntegerNetwork integerize_trained(Network& network, const torch::Tensor& samples,
                                                    const std::string& what) {
  torch::NoGradGuard no_grad;
  network.eval();
  try {
    return quantlib::deploy::integerize(
        network, [&](const torch::Tensor& x) { return network.forward(x); }, samples.slice(0, 0, 2),
        quantlib::deploy::infer_input_quantization(samples));
  } catch (const quantlib::deploy::IntegerizeError& error) {
    throw ConfigError(what + ": " + error.what());
  }
}

}  // namespace quantlab

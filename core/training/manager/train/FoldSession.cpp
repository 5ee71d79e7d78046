#include "manager/train/FoldSession.h"

#include <torch/torch.h>

#include "manager/train/NetworkBuilder.h"
#include "manager/train/Optimizers.h"
#include "quantlab/Errors.h"

namespace quantlab {

Loss make_loss(const Topology& topology, const Params& section) {
  if (Loss loss = topology.loss(section)) return loss;
  const std::string name = section.get<std::string>("class");
  if (name == "CrossEntropyLoss") {
    const Params params = section.at("params");
    params.only({"label_smoothing"});
    const double smoothing = params.get<double>("label_smoothing", 0.0);
    if (!(smoothing >= 0 && smoothing < 1)) params.fail("label_smoothing", "a number in [0, 1)");
    return [smoothing](const torch::Tensor& output, const torch::Tensor& target) {
      // A network built for fewer classes than the data has (network.params)
      // would otherwise stop with LibTorch's bounds error.
      if (output.dim() == 2 && target.dim() == 1 && target.numel() > 0) {
        const std::int64_t largest = target.max().item<std::int64_t>();
        if (largest >= output.size(1))
          throw DataError(fmt::format("the data has class {} but the network outputs {} classes: expected "
                                      "network.params to build as many outputs as the data set has classes",
                                      largest, output.size(1)));
      }
      return torch::nn::functional::cross_entropy(
          output, target, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
    };
  }
  section.fail("class", "CrossEntropyLoss or a loss of topology " + topology.name());
}

FoldSession build_session(const Topology& topology, const ExperimentConfig& config, const Target& target,
                          const Logbook& logbook) {
  FoldSession session;
  BuiltNetwork built = build_network(topology, config, logbook_resolver(logbook));
  session.network = std::move(built.network);
  session.controllers = std::move(built.controllers);
  session.optimizer = make_optimizer(config.section("training.optimizer"), session.network->parameters());
  session.schedule =
      StagedLrSchedule::make(config, learning_rate(*session.optimizer), target.metric, target.higher_is_better);
  if (session.schedule.cycles_momentum() && !has_momentum(*session.optimizer))
    config.section("training.lr_scheduler.params")
        .fail("cycle_momentum", "false with " + config.section("training.optimizer").get<std::string>("class") +
                                    " (it has no momentum to cycle)");
  session.loss = make_loss(topology, config.section("training.loss_function"));
  return session;
}

}  // namespace quantlab

#pragma once
// Everything one fold trains, built from the config identically on every
// rank: network and controllers, optimizer, LR schedule and loss, with the
// statistics tracker and gradient reducer a run adds to them.
#include <memory>

#include "manager/config/ExperimentConfig.h"
#include "manager/dist/GradientReducer.h"
#include "manager/logbook/Logbook.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/Distillation.h"
#include "manager/train/LearnedBits.h"
#include "manager/train/StagedLrSchedule.h"
#include "manager/train/Trainer.h"
#include "quantlab/Network.h"
#include "quantlab/Topology.h"
#include "quantlib/algorithms/Controller.h"
#include "quantlib/monitor/StatisticsTracker.h"

namespace quantlab {

struct FoldSession {
  std::shared_ptr<Network> network;
  quantlib::Controllers controllers;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  StagedLrSchedule schedule;
  Loss loss;
  // training.distill's teacher, when the config has one.
  std::optional<Distillation> distillation;
  // The recipe's learned bit-widths and training.bit_penalty, when it has them.
  std::optional<LearnedBits> learned_bits;
  // logging.monitor's statistics trackers, on rank 0 only.
  std::unique_ptr<quantlib::monitor::StatisticsTracker> tracker;
  // Under mpirun: averages gradients over the ranks (hooks on the network's parameters).
  std::unique_ptr<GradientReducer> reducer;

  // training.amp on the device the session trains on (set by the trainer).
  MixedPrecision amp;

  // What a checkpoint saves and restores.
  TrainingState state() { return {*network, *optimizer, schedule, controllers, &amp}; }
};

// The loss of training.loss_function (`section`): the topology's own, else
// CrossEntropyLoss; ConfigError naming the key otherwise.
Loss make_loss(const Topology& topology, const Params& section);

// network.pretrained is looked up in `logbook`; ConfigError for what the
// config gets wrong.
FoldSession build_session(const Topology& topology, const ExperimentConfig& config, const Target& target,
                          const Logbook& logbook);

}  // namespace quantlab

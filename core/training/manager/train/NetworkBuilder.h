#pragma once
// The network an experiment trains: built by the topology from
// network.params, started from another experiment's weights when
// network.pretrained says so, and quantized by network.quantize — the
// declarative recipe "rules" or a named recipe of the topology.
#include <filesystem>
#include <functional>
#include <memory>

#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "quantlab/Network.h"
#include "quantlab/Topology.h"
#include "quantlib/algorithms/Controller.h"

namespace quantlab {

struct BuiltNetwork {
  std::shared_ptr<Network> network;
  quantlib::Controllers controllers;
};

// network.pretrained {exp_id, fold, checkpoint} -> the checkpoint file it names.
// Throws ConfigError/StorageError naming the key or file when there is none.
using CheckpointResolver = std::function<std::filesystem::path(const Params& pretrained)>;

// Resolves {exp_id, fold: 0, checkpoint: best | last} in the problem's logbook
// (last: the newest epochNNNN.ckpt).
CheckpointResolver logbook_resolver(const Logbook& logbook);

// The name of the declarative recipe every topology has.
inline constexpr const char* kRulesRecipe = "rules";

// The same config without quantization and without trained weights:
// network.quantize, network.pretrained, training.quantize and training.stages
// (which name the recipe's quantizers) dropped. `qlhost summary` and
// `qlhost bench` measure the full-precision network of a config with it.
ExperimentConfig without_recipe(const ExperimentConfig& config);

// Without a resolver a config with network.pretrained is refused. With
// training.stages the last controller switches each stage's quantizers on at
// its first epoch (quantlib::StageSwitchController).
BuiltNetwork build_network(const Topology& topology, const ExperimentConfig& config,
                           const CheckpointResolver& resolve_pretrained = {});

}  // namespace quantlab

#pragma once
// A fold's trained network as `qlhost --mode test` evaluates it, for the
// commands that use a trained experiment without training it (test --integer,
// export): built from the experiment's config, the whole checkpoint restored
// (controllers' state included), controllers set for validation, eval mode.
#include <filesystem>
#include <memory>
#include <string>

#include <torch/types.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "manager/train/Checkpoint.h"
#include "quantlab/Meter.h"
#include "quantlab/Network.h"
#include "quantlab/Topology.h"
#include "quantlib/algorithms/Controller.h"
#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlab {

struct TrainedNetwork {
  std::shared_ptr<Network> network;
  quantlib::Controllers controllers;
  FoldProgress progress;
};

// `checkpoint` is one of the experiment's checkpoint files; StorageError when
// it does not fit the network the config builds.
TrainedNetwork load_trained_network(const Topology& topology, const Meter& meter, const ExperimentConfig& config,
                                    const Logbook& logbook, const std::filesystem::path& checkpoint);

// The integer network of a trained network (quantlib/deploy), its input grid
// calibrated on `samples` (pre-processed inputs). What integerize refuses
// becomes a ConfigError starting with `what`, e.g. "exp0003 (best.ckpt)".
quantlib::deploy::IntegerNetwork integerize_trained(Network& network, const torch::Tensor& samples,
                                                    const std::string& what);

// The same, calibrated on the first data.bs_valid test samples pre-processed
// as for evaluation, so `--mode test --integer` and `export` make the same
// network, on every rank. An empty test set is a DataError.
quantlib::deploy::IntegerNetwork integerize_trained(Network& network, const Topology& topology,
                                                    const ExperimentConfig& config, const Dataset& test_data,
                                                    const std::string& what);

}  // namespace quantlab

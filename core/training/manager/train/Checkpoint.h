#pragma once
// A checkpoint is everything a fold needs to continue exactly: network,
// optimizer, LR schedule, quantization controllers, progress and the global
// RNG states (the CPU's, and the GPU's when it trains on one). Its format
// version lives in the file itself. Tensors are read onto the CPU and copied
// into the network wherever it lives, so a checkpoint written on a GPU
// resumes on a machine without one, and the other way round.
#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "manager/train/MixedPrecision.h"
#include "manager/train/StagedLrSchedule.h"
#include "quantlib/algorithms/Controller.h"

namespace quantlab {

// 2: the optimizer's state keyed by parameter name (two identical runs write
// identical bytes); 1: LibTorch's layout, keyed by memory address (read still).
constexpr std::int64_t kCheckpointFormat = 2;
constexpr std::int64_t kOldestCheckpointFormat = 1;

struct FoldProgress {
  int fold = 0;
  int epochs_done = 0;   // completed epochs
  double best_metric = 0;
  int best_epoch = 0;    // 0: none yet
};

struct TrainingState {
  torch::nn::Module& network;
  torch::optim::Optimizer& optimizer;
  StagedLrSchedule& schedule;
  quantlib::Controllers& controllers;
  MixedPrecision* mixed_precision = nullptr;  // training.amp's loss scale, when it has one
};

// Written to a temporary file in the same folder and renamed over `path`.
void save_checkpoint(const std::filesystem::path& path, const FoldProgress& progress, const TrainingState& state);

// Throws StorageError naming the file if it is not a readable checkpoint of
// this format or does not fit the network.
FoldProgress load_checkpoint(const std::filesystem::path& path, const TrainingState& state);
// The same from the checkpoint's bytes, e.g. rank 0 read the file and
// broadcast them, so that ranks on other machines need no shared storage;
// `path` names it in errors.
FoldProgress load_checkpoint(const std::filesystem::path& path, const std::string& contents,
                             const TrainingState& state);

// Only the progress, e.g. to find the newest checkpoint.
FoldProgress read_progress(const std::filesystem::path& path);

// Network weights only (--mode test, network.pretrained): every parameter and
// buffer of `network` by name; modules without tensors, which older
// checkpoints may not list, are skipped. StorageError naming the file and the
// first missing or misshapen tensor.
void load_network(const std::filesystem::path& path, torch::nn::Module& network);

}  // namespace quantlab

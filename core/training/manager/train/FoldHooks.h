#pragma once
// What a fold's epoch loop does besides training and validating, as hooks it
// calls at fixed moments (a training framework's callbacks): the
// controllers' schedule, the ranks' agreement check, TensorBoard and
// checkpoints. A hook only rank 0 runs is made on rank 0 only.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/DistributedSession.h"
#include "manager/train/FoldSession.h"
#include "manager/train/PassResult.h"

namespace quantlab {

// How an epoch ended.
struct EpochEnd {
  int epoch = 0;  // 0-based
  const PassResult& train;
  const PassResult& valid;
  double learning_rate = 0;
  bool best = false;             // it improved the target metric
  const FoldProgress& progress;  // with this epoch counted
};

class FoldHook {
 public:
  virtual ~FoldHook() = default;
  // Before the epoch's training pass, its learning rate set.
  virtual void before_training(int /*epoch*/) {}
  // After the training pass, before validation.
  virtual void after_training(int /*epoch*/) {}
  // After validation.
  virtual void after_epoch(const EpochEnd& /*end*/) {}
  // Once, when the fold's last epoch is done (`completed`) or one threw.
  virtual void fold_end(bool /*completed*/) {}
};

// The hooks of a fold, called in the order they were added.
class FoldHooks {
 public:
  void add(std::unique_ptr<FoldHook> hook) { hooks_.push_back(std::move(hook)); }

  void before_training(int epoch);
  void after_training(int epoch);
  void after_epoch(const EpochEnd& end);
  void fold_end(bool completed);

 private:
  std::vector<std::unique_ptr<FoldHook>> hooks_;
};

// Every rank: whether the ranks still hold one network after each training
// pass (DistributedSession::ranks_differing); rank 0 logs a drift.
std::unique_ptr<FoldHook> rank_agreement_hook(DistributedSession& ranks, FoldSession& session, int fold,
                                              const ExperimentConfig& config, spdlog::logger& log);

// Every rank: the controllers' step_pre_training before training and
// step_pre_validation after it.
std::unique_ptr<FoldHook> controller_hook(FoldSession& session);

// Every rank, with training.stages: as a stage starts, clears the optimizer's
// state when it says reset_optimizer (also when a resumed run starts exactly
// there, never when it resumes inside the stage) and logs its epochs, how
// many quantizers it switches on and its learning rate.
std::unique_ptr<FoldHook> stage_hook(FoldSession& session, int fold, const ExperimentConfig& config,
                                     spdlog::logger& log);

// Rank 0: the fold's TensorBoard event file in `stats_dir`. A fold that
// starts from scratch opens an HParams session named `run` with the config's
// scalars; each epoch writes the original's scalars, every metric (and with
// training.stages the epoch's stage), and the histograms and statistics
// asked for; the session ends as the fold does.
std::unique_ptr<FoldHook> tensorboard_hook(const std::filesystem::path& stats_dir, const std::string& run,
                                           bool from_scratch, const ExperimentConfig& config,
                                           const std::string& target_metric, FoldSession& session);

// Rank 0: best.ckpt when an epoch improves the target metric, and
// epochNNNN.ckpt every experiment.ckpt_every epochs and at the last.
std::unique_ptr<FoldHook> checkpoint_hook(const Logbook& logbook, int id, int fold, const ExperimentConfig& config,
                                          FoldSession& session);

}  // namespace quantlab

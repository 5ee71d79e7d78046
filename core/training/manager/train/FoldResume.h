#pragma once
// Where a fold continues: from its newest checkpoint (the one with the most
// epochs done), which rank 0 finds and reads and every rank restores, so that
// ranks on other machines need no shared storage.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include <spdlog/logger.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/dist/Communicator.h"
#include "manager/logbook/Logbook.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/FoldSession.h"

namespace quantlab {

// The fold's checkpoint with the most epochs done (best.ckpt or the latest
// epochNNNN.ckpt) and its progress; none when it has no checkpoint.
std::optional<std::pair<std::filesystem::path, FoldProgress>> newest_checkpoint(const Logbook& logbook, int id,
                                                                                int fold);

struct ResumePoint {
  std::string checkpoint;  // empty: the fold starts from scratch
  int epochs_done = 0;
};

// Rank 0 finds the newest checkpoint; every rank learns its path and epochs.
// A run killed between writing an epoch's best.ckpt and its epochNNNN.ckpt
// left the second missing: rank 0 writes it again from the first (both hold
// the same state), and says so in `log`.
ResumePoint find_resume_point(const Logbook& logbook, int id, int fold, const ExperimentConfig& config,
                              Communicator& communicator, spdlog::logger& log);

// Restores network, optimizer, LR schedule, controllers and RNG of `session`
// from the resume point's checkpoint as rank 0 read it, and returns its
// progress; a fold starting from scratch keeps its session and has none.
FoldProgress resume_session(const ResumePoint& resume, int fold, const ExperimentConfig& config,
                            FoldSession& session, Communicator& communicator, spdlog::logger& log);

}  // namespace quantlab

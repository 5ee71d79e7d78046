#include "manager/train/FoldResume.h"

#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"

namespace quantlab {
namespace {

std::string read_file_bytes(const std::filesystem::path& path) {
  std::optional<std::string> contents = read_whole_file(path);
  if (!contents) throw StorageError(path.string() + ": could not be read");
  return std::move(*contents);
}

}  // namespace

std::optional<std::pair<std::filesystem::path, FoldProgress>> newest_checkpoint(const Logbook& logbook, int id,
                                                                                int fold) {
  std::optional<std::pair<std::filesystem::path, FoldProgress>> newest;
  if (auto latest = logbook.latest_epoch_checkpoint(id, fold))
    newest = std::make_pair(latest->file, read_progress(latest->file));
  const auto best = logbook.best_checkpoint(id, fold);
  if (std::filesystem::exists(best)) {
    const FoldProgress progress = read_progress(best);
    if (!newest || progress.epochs_done > newest->second.epochs_done) newest = std::make_pair(best, progress);
  }
  return newest;
}

ResumePoint find_resume_point(const Logbook& logbook, int id, int fold, const ExperimentConfig& config,
                              Communicator& communicator, spdlog::logger& log) {
  ResumePoint resume;
  torch::Tensor epochs_done = torch::zeros({1}, torch::kLong);
  if (communicator.is_root())
    if (const auto newest = newest_checkpoint(logbook, id, fold)) {
      resume.checkpoint = newest->first.string();
      epochs_done[0] = newest->second.epochs_done;
    }
  communicator.broadcast(resume.checkpoint);
  communicator.broadcast(epochs_done);
  resume.epochs_done = static_cast<int>(epochs_done.item<std::int64_t>());
  // The epoch checkpoint is restored at the last epoch as at any other that keeps one.
  const int done = resume.epochs_done;
  if (communicator.is_root() && done > 0 &&
      std::filesystem::path(resume.checkpoint) == logbook.best_checkpoint(id, fold) &&
      (done % config.ckpt_every == 0 || done == config.n_epochs)) {
    const auto missing = logbook.epoch_checkpoint(id, fold, done);
    if (!std::filesystem::exists(missing)) {
      write_file_atomically(missing, read_file_bytes(resume.checkpoint));
      log.info("fold {}: restored {} from best.ckpt (the run ended between writing the two)", fold,
               missing.string());
    }
  }
  return resume;
}

FoldProgress resume_session(const ResumePoint& resume, int fold, const ExperimentConfig& config,
                            FoldSession& session, Communicator& communicator, spdlog::logger& log) {
  if (resume.checkpoint.empty()) return FoldProgress{fold, 0, 0, 0};
  std::string contents = communicator.is_root() ? read_file_bytes(resume.checkpoint) : std::string();
  communicator.broadcast(contents);
  const FoldProgress progress = load_checkpoint(resume.checkpoint, contents, session.state());
  log.info("fold {}: resuming from {} ({} of {} epochs done)", fold, resume.checkpoint, progress.epochs_done,
           config.n_epochs);
  return progress;
}

}  // namespace quantlab

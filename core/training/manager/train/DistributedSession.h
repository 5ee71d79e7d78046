#pragma once
// The ranks of a data-parallel run (qlhost under mpirun) as one fold's
// training sees them: every rank takes rank 0's network, gradients are
// averaged by a reducer, a check tells whether the ranks still hold one
// network, and what each pass measured is summed over the ranks. On a single
// rank there is nothing to send and each of these is free.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "manager/config/ExperimentConfig.h"
#include "manager/dist/Communicator.h"
#include "manager/dist/GradientReducer.h"
#include "manager/train/StagedLrSchedule.h"
#include "manager/train/PassResult.h"
#include "quantlab/Meter.h"
#include "quantlab/Network.h"

namespace quantlab {

class DistributedSession {
 public:
  // `options`: training.distributed.
  DistributedSession(Communicator& communicator, const ExperimentConfig::Distributed& options);

  Communicator& communicator() const { return communicator_; }
  int rank() const { return communicator_.rank(); }
  int size() const { return communicator_.size(); }
  bool is_root() const { return communicator_.is_root(); }

  // Parameters and buffers as rank 0 has them.
  void broadcast_network(Network& network);
  // Running statistics (batch norm) follow each rank's batches; rank 0's are
  // the network's, as they are what its checkpoints keep.
  void broadcast_buffers(Network& network);
  // How many ranks hold parameters or buffers that differ from rank 0's, to
  // the bit: a fingerprint (sum and sum of squares, in double) compared on
  // each rank, the mismatches counted over all. Every rank must call it.
  int ranks_differing(Network& network);

  // training.distributed.sync_batch_norm: batch norms that compute their
  // batch statistics over all ranks; returns how many, none when not asked
  // for or on one rank.
  std::optional<int> synchronize_batch_norms(Network& network);
  // Averages gradients over the ranks during and after backward
  // (training.distributed.bucket_mb, overlap); none on one rank.
  std::unique_ptr<GradientReducer> make_reducer(Network& network);
  // The schedule's learning rate, times the number of ranks when asked (the
  // original always scaled it: N ranks step with an N times larger batch).
  double learning_rate(const StagedLrSchedule& schedule, int epoch, double progress = 0.0) const;

  // A pass's loss sum, sample count, the meter's statistics and the sums of
  // the loss's terms (distillation), summed over ranks; its seconds counted
  // from `start`.
  PassResult reduce(const Meter& meter, double loss_sum, std::int64_t samples, PassClock::time_point start,
                    const std::map<std::string, double>& loss_term_sums = {});
  // A count summed over ranks.
  std::int64_t sum(std::int64_t count);

 private:
  Communicator& communicator_;
  ExperimentConfig::Distributed options_;
};

}  // namespace quantlab

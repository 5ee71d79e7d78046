#pragma once
// The data pipeline's last stage: one pass over a data set, batch by batch.
// Worker threads read each batch's samples (SampleDataset::sample), run the
// topology's per-sample pre-processing, stack them and run its per-batch
// pre-processing, while the caller trains on earlier batches; a bounded queue
// keeps at most `prefetch` batches read ahead. Batches come back in order.
//
// Every random choice is drawn from (seed, batch number, place in the batch),
// never from a stream shared between batches, so a pass gives the same
// batches whatever the number of workers, and a resumed run replays it.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "manager/config/BatcherOptions.h"
#include "quantlab/Dataset.h"
#include "quantlab/Topology.h"

namespace quantlab::data {

// Told about each skipped sample under `skip`: why, naming its file.
using SkipReport = std::function<void(const std::string& reason)>;

// One batch as the pipeline makes it, in the calling thread: the samples at
// `indices` (through the topology's per-sample pre-processing for a
// SampleDataset), stacked, then the topology's per-batch pre-processing with a
// generator seeded by `seed`. A bad sample is skipped (and reported) or, under
// `stop`, a DataError naming its source. The batch is empty (no input) when
// every sample was skipped.
Batch read_batch(const Dataset& data, const Topology& topology, const std::vector<std::int64_t>& indices,
                 bool augment, std::uint64_t seed, BadSamplePolicy on_bad_sample = BadSamplePolicy::stop,
                 const SkipReport& report_skip = nullptr);

class Batcher {
 public:
  // `batches`: the data set indices of each batch, in the order they are
  // wanted; `seed`: this pass's random stream (the trainer mixes the
  // experiment's seed, the fold and the epoch).
  Batcher(const Dataset& data, const Topology& topology, std::vector<std::vector<std::int64_t>> batches,
          bool augment, std::uint64_t seed, BatcherOptions options, SkipReport report_skip = nullptr);
  // Stops the workers; batches not taken are dropped.
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // The next batch in order, or nullopt after the last. A batch whose samples
  // were all skipped comes back empty (no input): under mpirun every rank
  // must take the same number of steps, so the caller decides. An error a
  // worker met (a DataError under `stop`, a bug) is thrown here, when its
  // batch's turn comes.
  std::optional<Batch> next();

  std::size_t size() const { return batches_.size(); }

  // Samples skipped so far as unreadable.
  std::int64_t skipped() const;

 private:
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };

  Slot make(std::size_t number) const;
  void work();

  const Dataset& data_;
  const Topology& topology_;
  const std::vector<std::vector<std::int64_t>> batches_;
  const bool augment_;
  const std::uint64_t seed_;
  const BatcherOptions options_;
  const SkipReport report_skip_;

  mutable std::mutex mutex_;
  std::condition_variable slot_ready_;  // a worker filled a slot
  std::condition_variable slot_taken_;  // the caller took one: room to read ahead
  std::map<std::size_t, Slot> ready_;
  std::size_t next_to_read_ = 0;
  std::size_t next_to_return_ = 0;
  bool stopping_ = false;
  mutable std::int64_t skipped_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace quantlab::data

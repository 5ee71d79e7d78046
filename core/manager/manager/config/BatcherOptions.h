#pragma once
// How the data pipeline's batcher runs (data.workers, data.prefetch,
// data.on_bad_sample); apart from Batcher.h so the config needs no threads.

namespace quantlab::data {

// What to do with a sample that cannot be read (a corrupt or truncated file).
enum class BadSamplePolicy { stop, skip };

struct BatcherOptions {
  int workers = 2;   // 0: each batch is read by the caller when it asks for it
  int prefetch = 4;  // batches read ahead at most (at least 1)
  BadSamplePolicy on_bad_sample = BadSamplePolicy::stop;
  // Batches made in page-locked memory, which a GPU copies from without
  // blocking (set by the trainer when it trains on a GPU).
  bool pin_memory = false;
};

}  // namespace quantlab::data

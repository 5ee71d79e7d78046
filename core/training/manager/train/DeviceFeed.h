#pragma once
// A pass's batches on the training device. On a GPU each batch is copied from
// page-locked memory on a stream of its own, one batch ahead: the copy of the
// next batch overlaps the current step, and the step waits only for its own
// batch's copy (an event, not the host). On the CPU, the batches as they are.
#include <functional>
#include <memory>
#include <optional>

#include <torch/types.h>

#include "quantlab/Dataset.h"

namespace quantlab {

class DeviceFeed {
 public:
  using Source = std::function<std::optional<Batch>()>;
  DeviceFeed(Source source, torch::Device device);
  ~DeviceFeed();
  DeviceFeed(const DeviceFeed&) = delete;
  DeviceFeed& operator=(const DeviceFeed&) = delete;

  // The next batch, ready to use on the device; nullopt at the end. A batch
  // whose samples were all skipped comes as an empty Batch, as from the source.
  std::optional<Batch> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quantlab

#include "manager/train/DeviceFeed.h"

#include <torch/torch.h>

#include "quantlab/BuildConfig.h"

#if QUANTLAB_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace quantlab {

struct DeviceFeed::Impl {
  Impl(Source batches, torch::Device on) : source(std::move(batches)), device(on) {}
  Source source;
  torch::Device device;
#if QUANTLAB_WITH_CUDA
  struct InFlight {
    std::optional<Batch> batch;
    std::shared_ptr<at::cuda::CUDAEvent> copied;
  };
  std::optional<c10::cuda::CUDAStream> copy_stream;
  std::optional<InFlight> ahead;

  InFlight start_copy() {
    InFlight flight;
    flight.batch = source();
    if (!flight.batch || !flight.batch->input.defined()) return flight;
    c10::cuda::CUDAStreamGuard on_copy_stream(*copy_stream);
    flight.batch->input = flight.batch->input.to(device, /*non_blocking=*/true);
    flight.batch->target = flight.batch->target.to(device, /*non_blocking=*/true);
    flight.copied = std::make_shared<at::cuda::CUDAEvent>();
    flight.copied->record(*copy_stream);
    return flight;
  }

  std::optional<Batch> next_on_gpu() {
    if (!ahead) ahead = start_copy();
    InFlight current = std::move(*ahead);
    ahead.reset();
    if (current.batch) ahead = start_copy();  // overlaps the step that uses `current`
    if (current.copied) {
      const c10::cuda::CUDAStream compute = c10::cuda::getCurrentCUDAStream(device.index());
      current.copied->block(compute);
      // The memory was allocated on the copy stream: the allocator must not
      // hand it out again before the compute stream is done with it.
      current.batch->input.record_stream(compute);
      current.batch->target.record_stream(compute);
    }
    return std::move(current.batch);
  }
#endif

  std::optional<Batch> next() {
#if QUANTLAB_WITH_CUDA
    if (device.is_cuda()) return next_on_gpu();
#endif
    std::optional<Batch> batch = source();
    if (batch && batch->input.defined() && batch->input.device() != device) {
      batch->input = batch->input.to(device);
      batch->target = batch->target.to(device);
    }
    return batch;
  }
};

DeviceFeed::DeviceFeed(Source source, torch::Device device)
    : impl_(std::make_unique<Impl>(std::move(source), device)) {
#if QUANTLAB_WITH_CUDA
  if (device.is_cuda()) impl_->copy_stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index());
#endif
}

DeviceFeed::~DeviceFeed() = default;

std::optional<Batch> DeviceFeed::next() { return impl_->next(); }

}  // namespace quantlab

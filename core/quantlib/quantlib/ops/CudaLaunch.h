#pragma once
// What the fused ops need to run a CUDA kernel (internal; include only under
// #if QUANTLAB_WITH_CUDA): the device guard and current stream of the input's
// GPU, the launch check, and the reductions' workspace.
#include <cstdint>

#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/types.h>

#include "quantlib/ops/kernels/cuda/CudaKernels.h"

namespace quantlib::ops::detail {

// For the lifetime of one launch: x's GPU current, and its current stream.
class CudaLaunch {
 public:
  explicit CudaLaunch(const torch::Tensor& x)
      : guard_(x.device()), stream_(c10::cuda::getCurrentCUDAStream(x.device().index()).stream()) {}

  kernels::cuda::Stream stream() const { return stream_; }

  // Raises the launch's error, if any, as a c10::Error.
  void check() const { C10_CUDA_KERNEL_LAUNCH_CHECK(); }

 private:
  c10::cuda::CUDAGuard guard_;
  kernels::cuda::Stream stream_;
};

// The doubles a per-channel reduction over x needs (see CudaKernels.h).
inline torch::Tensor reduction_workspace(const torch::Tensor& x, int64_t channels, int64_t channel_size) {
  return torch::empty({kernels::cuda::reduction_workspace(channels, channel_size)},
                      x.options().dtype(torch::kDouble));
}

}  // namespace quantlib::ops::detail

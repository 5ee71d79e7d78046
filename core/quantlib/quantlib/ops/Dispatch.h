#pragma once
// The one place the fused operations choose a kernel by device (internal).
// Each op hands on_device one callable per device it has kernels for; a
// device without one is refused with a line naming the op and the device.
// The CUDA kernels plug in as the `cuda` callable, which the ops pass only in
// a CUDA build (QUANTLAB_WITH_CUDA, see CudaLaunch.h).
#include <type_traits>
#include <utility>

#include <torch/types.h>

namespace quantlib::ops::detail {

// Whether this build has the CUDA kernels (QUANTLAB_CUDA); defined in
// Dispatch.cpp, so every unit including this header sees the same answer.
bool cuda_kernels_built();

[[noreturn]] inline void fail_unsupported_device(const char* op, const torch::Device& device) {
  if (cuda_kernels_built())
    TORCH_CHECK(false, op, ": no kernel for ", device, " tensors (CPU and CUDA only); move the tensors to the CPU or a "
                "CUDA GPU");
  TORCH_CHECK(false, op, ": no kernel for ", device, " tensors yet (CPU only); move the tensors to the CPU");
  __builtin_unreachable();
}

// The devices with kernels, checked first, before an op reads parameter values:
// the CPU, and CUDA GPUs in a CUDA build.
inline void check_device_has_kernel(const char* op, const torch::Tensor& x) {
  if (x.device().is_cpu() || (x.device().is_cuda() && cuda_kernels_built())) return;
  fail_unsupported_device(op, x.device());
}

struct NoKernel {};

template <typename CpuKernel, typename CudaKernel = NoKernel>
void on_device(const char* op, const torch::Device& device, CpuKernel&& cpu, CudaKernel&& cuda = {}) {
  if (device.is_cpu()) {
    std::forward<CpuKernel>(cpu)();
    return;
  }
  if constexpr (!std::is_same_v<std::decay_t<CudaKernel>, NoKernel>) {
    if (device.is_cuda()) {
      std::forward<CudaKernel>(cuda)();
      return;
    }
  }
  fail_unsupported_device(op, device);
}

}  // namespace quantlib::ops::detail

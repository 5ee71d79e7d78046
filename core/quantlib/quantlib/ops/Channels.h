#pragma once
// What the binary and ternary ops share (internal): how a per-channel weight
// op splits its tensor, `count` slices along dim 0 of `size` elements each or
// one slice of everything, and their straight-through backward. Included by
// op sources only (it reads QUANTLAB_WITH_CUDA).
#include <cstdint>

#include <torch/types.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/kernels/SignKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops::detail {

struct Channels {
  int64_t count;
  int64_t size;
};

inline Channels channels_of(const torch::Tensor& w, bool per_channel) {
  const int64_t count = per_channel ? w.size(0) : 1;
  return {count, count == 0 ? 0 : w.numel() / count};
}

// grad_y where |x| <= 1, else 0 (the derivative of hardtanh), contiguous, on
// x's device (checked by the op).
inline torch::Tensor clipped_straight_through_grad(const char* op, const torch::Tensor& x,
                                                   const torch::Tensor& grad_y) {
  const torch::Tensor grad = grad_y.contiguous();
  torch::Tensor grad_x = torch::empty_like(x, torch::MemoryFormat::Contiguous);
  on_device(
      op, x.device(),
      [&] {
        kernels::cpu::clipped_straight_through_backward(x.data_ptr<float>(), grad.data_ptr<float>(),
                                                        grad_x.data_ptr<float>(), x.numel());
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const CudaLaunch launch(x);
        kernels::cuda::clipped_straight_through_backward(x.data_ptr<float>(), grad.data_ptr<float>(),
                                                         grad_x.data_ptr<float>(), x.numel(), launch.stream());
        launch.check();
      }
#endif
  );
  return grad_x;
}

}  // namespace quantlib::ops::detail

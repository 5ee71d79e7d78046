// Fused CPU kernels of the INQ forward; formulas in ../../Inq.h.
#include "quantlib/ops/kernels/InqKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Signs.h"

namespace quantlib::ops::kernels::cpu {
namespace {

void forward_segment(const float* __restrict w, const float* __restrict frozen, float* __restrict y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = inq_forward_value(w[i], frozen[i]);
}

void backward_segment(const float* __restrict frozen, const float* __restrict grad_y, float* __restrict grad_w,
                      int64_t count) {
  for (int64_t i = 0; i < count; ++i) grad_w[i] = inq_grad_value(frozen[i], grad_y[i]);
}

}  // namespace

void inq_forward(const float* w, const float* frozen, float* y, int64_t numel) {
  at::parallel_for(0, numel, at::internal::GRAIN_SIZE,
                   [&](int64_t begin, int64_t end) { forward_segment(w + begin, frozen + begin, y + begin, end - begin); });
}

void inq_backward(const float* frozen, const float* grad_y, float* grad_w, int64_t numel) {
  at::parallel_for(0, numel, at::internal::GRAIN_SIZE, [&](int64_t begin, int64_t end) {
    backward_segment(frozen + begin, grad_y + begin, grad_w + begin, end - begin);
  });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

// CUDA kernels of the binary, ternary and INQ ops and the binary and ternary
// statistics. The element structs are the CPU kernels' own, from
// ../elements/Signs.h.
#include "quantlib/ops/kernels/cuda/Launch.cuh"
#include "quantlib/ops/kernels/elements/Signs.h"

namespace quantlib::ops::kernels::cuda {
namespace {

struct BinaryElementFor {
  const float* scales;
  __device__ BinaryElement operator()(int64_t channel) const { return BinaryElement{scales[channel]}; }
};

struct TernaryElementFor {
  const float* thresholds;
  const float* scales;
  __device__ TernaryElement operator()(int64_t channel) const {
    return TernaryElement{thresholds[channel], scales[channel]};
  }
};

// |x| into the sum, in double (a scale is the exact mean rounded once to float).
struct AbsTerm {
  const float* x;
  __device__ void operator()(int64_t, int64_t index, double& sum, double&) const {
    sum += static_cast<double>(abs_float(x[index]));
  }
};

// |x| and 1 where |x| > thresholds[channel].
struct AbsAboveTerm {
  const float* x;
  const float* thresholds;
  __device__ void operator()(int64_t channel, int64_t index, double& sum, double& count) const {
    const float magnitude = abs_float(x[index]);
    const bool above = magnitude > thresholds[channel];
    sum += static_cast<double>(select(above, magnitude, 0.0f));
    count += static_cast<double>(select(above, 1.0f, 0.0f));
  }
};

__global__ void inq_forward_kernel(const float* __restrict__ w, const float* __restrict__ frozen,
                                   float* __restrict__ y, int64_t numel) {
  for (int64_t i = global_thread(); i < numel; i += grid_threads()) y[i] = inq_forward_value(w[i], frozen[i]);
}

__global__ void inq_backward_kernel(const float* __restrict__ frozen, const float* __restrict__ grad_y,
                                    float* __restrict__ grad_w, int64_t numel) {
  for (int64_t i = global_thread(); i < numel; i += grid_threads()) grad_w[i] = inq_grad_value(frozen[i], grad_y[i]);
}

}  // namespace

void binary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size, const float* scales,
                            Stream stream) {
  launch_channel_forward(w, y, channels, channel_size, BinaryElementFor{scales}, stream);
}

void binary_activations_forward(const float* x, float* y, int64_t numel, Stream stream) {
  launch_forward(x, y, numel, BinaryElement{1.0f}, stream);
}

void ternary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size,
                             const float* thresholds, const float* scales, Stream stream) {
  launch_channel_forward(w, y, channels, channel_size, TernaryElementFor{thresholds, scales}, stream);
}

void ternary_activations_forward(const float* x, float* y, int64_t numel, float threshold, Stream stream) {
  launch_forward(x, y, numel, TernaryElement{threshold, 1.0f}, stream);
}

void channel_abs_sums(const float* x, int64_t channels, int64_t channel_size, double* sums, double* workspace,
                      Stream stream) {
  launch_reduction(channels, channel_size, AbsTerm{x}, sums, nullptr, workspace, stream);
}

void channel_abs_sums_above(const float* x, int64_t channels, int64_t channel_size, const float* thresholds,
                            double* sums, double* counts, double* workspace, Stream stream) {
  launch_reduction(channels, channel_size, AbsAboveTerm{x, thresholds}, sums, counts, workspace, stream);
}

void clipped_straight_through_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel,
                                       Stream stream) {
  launch_grad_input(x, grad_y, grad_x, numel, ClippedStraightThroughElement{}, stream);
}

void inq_forward(const float* w, const float* frozen, float* y, int64_t numel, Stream stream) {
  if (numel == 0) return;
  inq_forward_kernel<<<blocks_for(numel), kThreads, 0, stream>>>(w, frozen, y, numel);
}

void inq_backward(const float* frozen, const float* grad_y, float* grad_w, int64_t numel, Stream stream) {
  if (numel == 0) return;
  inq_backward_kernel<<<blocks_for(numel), kThreads, 0, stream>>>(frozen, grad_y, grad_w, numel);
}

}  // namespace quantlib::ops::kernels::cuda

// CUDA kernels of ANA: one thread per element visits every threshold, in the
// CPU kernel's order (so the sums over thresholds give the CPU's bits). The
// noises and the terms are the CPU kernels' own, from ../elements/AnaNoises.h.
#include "quantlib/ops/kernels/cuda/Launch.cuh"
#include "quantlib/ops/kernels/elements/AnaNoises.h"

namespace quantlib::ops::kernels::cuda {
namespace {

// The hard staircase: the level above the thresholds at or below x.
__device__ inline float hard_level(float x, const AnaKernelParams& params) {
  int32_t index = 0;
  for (int64_t i = 0; i < params.thresholds_count; ++i) index += x >= params.thresholds[i] ? 1 : 0;
  return params.levels[index];
}

__global__ void ana_mode_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t numel,
                                AnaKernelParams params) {
  for (int64_t j = global_thread(); j < numel; j += grid_threads()) y[j] = hard_level(x[j], params);
}

template <typename Noise>
__global__ void ana_expectation_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t numel,
                                       AnaKernelParams params) {
  for (int64_t j = global_thread(); j < numel; j += grid_threads()) {
    const float xj = x[j];
    float value = hard_level(xj, params);
    for (int64_t i = 0; i < params.thresholds_count; ++i)
      value += ana_expectation_term<Noise>(xj, params.thresholds[i], params.levels[i + 1] - params.levels[i],
                                           params.scale);
    y[j] = value;
  }
}

template <typename Noise>
__global__ void ana_random_kernel(const float* __restrict__ x, const float* __restrict__ uniform_draws,
                                  float* __restrict__ y, int64_t numel, AnaKernelParams params) {
  for (int64_t j = global_thread(); j < numel; j += grid_threads()) {
    const float noisy = x[j] + params.scale * Noise::quantile(ana_usable_draw(uniform_draws[j]));
    y[j] = hard_level(noisy, params);
  }
}

template <typename Noise>
__global__ void ana_backward_kernel(const float* __restrict__ x, const float* __restrict__ grad_y,
                                    float* __restrict__ grad_x, int64_t numel, AnaKernelParams params) {
  for (int64_t j = global_thread(); j < numel; j += grid_threads()) {
    const float xj = x[j];
    float slope = 0.0f;
    for (int64_t i = 0; i < params.thresholds_count; ++i)
      slope += ana_slope_term<Noise>(xj, params.thresholds[i], params.levels[i + 1] - params.levels[i],
                                     params.scale);
    grad_x[j] = grad_y[j] * (slope / params.scale);
  }
}

}  // namespace

void ana_forward_mode(const float* x, float* y, int64_t numel, const AnaKernelParams& params, Stream stream) {
  if (numel == 0) return;
  ana_mode_kernel<<<blocks_for(numel), kThreads, 0, stream>>>(x, y, numel, params);
}

void ana_forward_expectation(const float* x, float* y, int64_t numel, const AnaKernelParams& params, Stream stream) {
  if (numel == 0) return;
  with_noise(params.noise, [&](auto noise) {
    ana_expectation_kernel<decltype(noise)><<<blocks_for(numel), kThreads, 0, stream>>>(x, y, numel, params);
  });
}

void ana_forward_random(const float* x, const float* uniform_draws, float* y, int64_t numel,
                        const AnaKernelParams& params, Stream stream) {
  if (numel == 0) return;
  with_noise(params.noise, [&](auto noise) {
    ana_random_kernel<decltype(noise)><<<blocks_for(numel), kThreads, 0, stream>>>(x, uniform_draws, y, numel,
                                                                                  params);
  });
}

void ana_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel, const AnaKernelParams& params,
                  Stream stream) {
  if (numel == 0) return;
  if (params.scale == 0.0f) {
    cudaMemsetAsync(grad_x, 0, static_cast<size_t>(numel) * sizeof(float), stream);
    return;
  }
  with_noise(params.noise, [&](auto noise) {
    ana_backward_kernel<decltype(noise)><<<blocks_for(numel), kThreads, 0, stream>>>(x, grad_y, grad_x, numel,
                                                                                    params);
  });
}

}  // namespace quantlib::ops::kernels::cuda

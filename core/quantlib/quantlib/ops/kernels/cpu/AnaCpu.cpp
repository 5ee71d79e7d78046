// Fused CPU kernels of ANA; formulas in ../../Ana.h, the noises and the terms
// of the staircase in ../elements/AnaNoises.h.
#include "quantlib/ops/kernels/AnaKernels.h"

#include <algorithm>
#include <cstdint>

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/AnaNoises.h"

namespace quantlib::ops::kernels::cpu {
namespace {

// The threshold loop runs outside the element loop, over blocks that stay in L1,
// so each inner loop is a plain pass the compiler can vectorise.
constexpr int64_t kBlock = 256;

// Calls block(from, count) over [0, numel) in blocks of at most kBlock, in parallel.
// Every element costs a pass over the thresholds, hence the smaller grain.
template <typename Block>
void run_blocks(int64_t numel, const AnaKernelParams& params, const Block& block) {
  const int64_t grain = std::max<int64_t>(kBlock, at::internal::GRAIN_SIZE / (1 + params.thresholds_count));
  at::parallel_for(0, numel, grain, [&](int64_t begin, int64_t end) {
    for (int64_t from = begin; from < end; from += kBlock) block(from, std::min(kBlock, end - from));
  });
}

// index[j] = number of thresholds at or below x[j], the hard level's index.
void level_indices(const float* __restrict x, int32_t* __restrict index, int64_t count,
                   const AnaKernelParams& params) {
  for (int64_t j = 0; j < count; ++j) index[j] = 0;
  for (int64_t i = 0; i < params.thresholds_count; ++i) {
    const float threshold = params.thresholds[i];
    for (int64_t j = 0; j < count; ++j) index[j] += x[j] >= threshold ? 1 : 0;
  }
}

void hard_block(const float* __restrict x, float* __restrict y, int64_t count, const AnaKernelParams& params) {
  int32_t index[kBlock];
  level_indices(x, index, count, params);
  for (int64_t j = 0; j < count; ++j) y[j] = params.levels[index[j]];
}

template <typename Noise>
void expectation_block(const float* __restrict x, float* __restrict y, int64_t count,
                       const AnaKernelParams& params) {
  hard_block(x, y, count, params);
  for (int64_t i = 0; i < params.thresholds_count; ++i) {
    const float threshold = params.thresholds[i];
    const float jump = params.levels[i + 1] - params.levels[i];
    for (int64_t j = 0; j < count; ++j) {
      y[j] += ana_expectation_term<Noise>(x[j], threshold, jump, params.scale);
    }
  }
}

template <typename Noise>
void random_block(const float* __restrict x, const float* __restrict uniform_draws, float* __restrict y,
                  int64_t count, const AnaKernelParams& params) {
  float noisy[kBlock];
  for (int64_t j = 0; j < count; ++j) {
    noisy[j] = x[j] + params.scale * Noise::quantile(ana_usable_draw(uniform_draws[j]));
  }
  hard_block(noisy, y, count, params);
}

template <typename Noise>
void backward_block(const float* __restrict x, const float* __restrict grad_y, float* __restrict grad_x,
                    int64_t count, const AnaKernelParams& params) {
  float slope[kBlock];
  for (int64_t j = 0; j < count; ++j) slope[j] = 0.0f;
  for (int64_t i = 0; i < params.thresholds_count; ++i) {
    const float threshold = params.thresholds[i];
    const float jump = params.levels[i + 1] - params.levels[i];
    for (int64_t j = 0; j < count; ++j)
      slope[j] += ana_slope_term<Noise>(x[j], threshold, jump, params.scale);
  }
  for (int64_t j = 0; j < count; ++j) grad_x[j] = grad_y[j] * (slope[j] / params.scale);
}

}  // namespace

void ana_forward_mode(const float* x, float* y, int64_t numel, const AnaKernelParams& params) {
  run_blocks(numel, params, [&](int64_t from, int64_t count) { hard_block(x + from, y + from, count, params); });
}

void ana_forward_expectation(const float* x, float* y, int64_t numel, const AnaKernelParams& params) {
  with_noise(params.noise, [&](auto noise) {
    using Noise = decltype(noise);
    run_blocks(numel, params, [&](int64_t from, int64_t count) {
      expectation_block<Noise>(x + from, y + from, count, params);
    });
  });
}

void ana_forward_random(const float* x, const float* uniform_draws, float* y, int64_t numel,
                        const AnaKernelParams& params) {
  with_noise(params.noise, [&](auto noise) {
    using Noise = decltype(noise);
    run_blocks(numel, params, [&](int64_t from, int64_t count) {
      random_block<Noise>(x + from, uniform_draws + from, y + from, count, params);
    });
  });
}

void ana_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel, const AnaKernelParams& params) {
  if (params.scale == 0.0f) {
    std::fill(grad_x, grad_x + numel, 0.0f);
    return;
  }
  with_noise(params.noise, [&](auto noise) {
    using Noise = decltype(noise);
    run_blocks(numel, params, [&](int64_t from, int64_t count) {
      backward_block<Noise>(x + from, grad_y + from, grad_x + from, count, params);
    });
  });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

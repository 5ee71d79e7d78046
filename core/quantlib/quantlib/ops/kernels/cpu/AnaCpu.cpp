// Fused CPU kernels of ANA; formulas in ../../Ana.h.
//
// The expectation is written around the hard level q_K (K = number of thresholds
// at or below x): y = q_K + sum_i dq_i (F(u_i) - H(x - t_i)), where each bracket is
// the noise's tail mass, +F(-|u|) below a threshold and -F(-|u|) at or above it.
// Saturated tails are exactly 0, so the expectation is the hard level bit for bit
// wherever x is far from every threshold compared with the noise.
#include "quantlib/ops/kernels/AnaKernels.h"

#include <algorithm>
#include <cstdint>

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include <ATen/native/Math.h>

#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"

namespace quantlib::ops::kernels::cpu {
namespace {

// The threshold loop runs outside the element loop, over blocks that stay in L1,
// so each inner loop is a plain pass the compiler can vectorise.
constexpr int64_t kBlock = 256;

// A uniform draw of exactly 0 would give an infinite normal or logistic noise.
constexpr float kSmallestDraw = 2.98023223876953125e-8f;  // 2^-25

constexpr float kSqrtHalf = 0.70710678118654752440f;
constexpr float kSqrtTwo = 1.41421356237309504880f;
constexpr float kInverseSqrtTwoPi = 0.39894228040143267794f;

// Noise at scale 1. For a >= 0: tail(a) = F(-a) = 1 - F(a), density(a) = f(a) = f(-a);
// quantile(u) = F^-1(u) for u in (0, 1).
struct UniformNoise {
  static float tail(float a) { return 0.5f * select(a < 1.0f, 1.0f - a, 0.0f); }
  static float density(float a) { return select(a <= 1.0f, 0.5f, 0.0f); }
  static float quantile(float u) { return 2.0f * u - 1.0f; }
};

struct TriangularNoise {
  static float tail(float a) {
    const float remaining = select(a < 1.0f, 1.0f - a, 0.0f);
    return 0.5f * remaining * remaining;
  }
  static float density(float a) { return select(a < 1.0f, 1.0f - a, 0.0f); }
  static float quantile(float u) {
    return select(u < 0.5f, __builtin_sqrtf(2.0f * u) - 1.0f, 1.0f - __builtin_sqrtf(2.0f * (1.0f - u)));
  }
};

// e^x without a libm call, so the loops that use it vectorise (a call to expf
// keeps them scalar, several times slower than LibTorch's vectorised ops): Cody
// and Waite's reduction x = n ln2 + r, Cephes' polynomial for e^r on |r| <= ln2/2,
// and 2^n written into the exponent bits. Within 2 ulp of e^x on [-87.3, 88.3];
// below that 0, above it infinity: the noises only need the tails to vanish.
inline float exp_vectorisable(float x) {
  constexpr float kLow = -87.3f;   // n >= -126: 2^n stays a normal float
  constexpr float kHigh = 88.3f;   // n <= 127
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2High = 0.693359375f;  // few mantissa bits: n * kLn2High is exact
  constexpr float kLn2Low = -2.12194440e-4f;
  const float clamped = clamp(x, kLow, kHigh);
  const float n = round_half_even(clamped * kLog2e);
  const float r = (clamped - n * kLn2High) - n * kLn2Low;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float exp_r = p * r * r + r + 1.0f;
  const float two_to_n = __builtin_bit_cast(float, (static_cast<int32_t>(n) + 127) << 23);
  return select(x < kLow, 0.0f, select(x > kHigh, __builtin_inff(), exp_r * two_to_n));
}

struct NormalNoise {
  // 0.5 erfc(a / sqrt 2) by the Chebyshev fit of Press, Teukolsky, Vetterling and
  // Flannery (Numerical Recipes, erfcc): fractional error below 1.2e-7 for every a.
  static float tail(float a) {
    const float z = a * kSqrtHalf;
    const float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    return 0.5f * t * exp_vectorisable(p - z * z);
  }
  static float density(float a) { return kInverseSqrtTwoPi * exp_vectorisable(-0.5f * a * a); }
  static float quantile(float u) { return kSqrtTwo * calc_erfinv(2.0f * u - 1.0f); }
};

struct LogisticNoise {
  // e^a overflows to infinity for large a, which gives the exact tail 0.
  static float tail(float a) { return 1.0f / (1.0f + exp_vectorisable(a)); }
  static float density(float a) {
    const float e = exp_vectorisable(-a);
    const float denominator = 1.0f + e;
    return e / (denominator * denominator);
  }
  static float quantile(float u) { return __builtin_logf(u) - __builtin_log1pf(-u); }
};

template <typename Visit>
void with_noise(AnaNoise noise, const Visit& visit) {
  switch (noise) {
    case AnaNoise::Uniform:
      visit(UniformNoise{});
      return;
    case AnaNoise::Triangular:
      visit(TriangularNoise{});
      return;
    case AnaNoise::Normal:
      visit(NormalNoise{});
      return;
    case AnaNoise::Logistic:
      visit(LogisticNoise{});
      return;
  }
}

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
      const float tail = Noise::tail(__builtin_fabsf(x[j] - threshold) / params.scale);
      y[j] += jump * select(x[j] >= threshold, -tail, tail);
    }
  }
}

template <typename Noise>
void random_block(const float* __restrict x, const float* __restrict uniform_draws, float* __restrict y,
                  int64_t count, const AnaKernelParams& params) {
  float noisy[kBlock];
  for (int64_t j = 0; j < count; ++j) {
    const float draw = select(uniform_draws[j] > 0.0f, uniform_draws[j], kSmallestDraw);
    noisy[j] = x[j] + params.scale * Noise::quantile(draw);
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
      slope[j] += jump * Noise::density(__builtin_fabsf(x[j] - threshold) / params.scale);
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

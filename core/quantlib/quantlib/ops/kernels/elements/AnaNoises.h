#pragma once
// ANA's noise families at scale 1 and its per-element staircase formulas,
// shared by the CPU and CUDA kernels; formulas in ../../Ana.h. Free of LibTorch
// (see FloatOps.h) except the CPU's erfinv, ATen's calc_erfinv (the composed
// reference's torch::erfinv on the CPU); the device takes CUDA's erfinvf, which
// is what torch::erfinv computes on CUDA tensors.
//
// The expectation is written around the hard level q_K (K = number of thresholds
// at or below x): y = q_K + sum_i dq_i (F(u_i) - H(x - t_i)), where each bracket is
// the noise's tail mass, +F(-|u|) below a threshold and -F(-|u|) at or above it.
// Saturated tails are exactly 0, so the expectation is the hard level bit for bit
// wherever x is far from every threshold compared with the noise.
#include <cstdint>

#include "quantlib/ops/kernels/elements/FloatOps.h"

#if !defined(__CUDACC__)
#include <ATen/native/Math.h>
#endif

namespace quantlib::ops::kernels {

// A uniform draw of exactly 0 would give an infinite normal or logistic noise.
constexpr float kAnaSmallestDraw = 2.98023223876953125e-8f;  // 2^-25

constexpr float kAnaSqrtHalf = 0.70710678118654752440f;
constexpr float kAnaSqrtTwo = 1.41421356237309504880f;
constexpr float kAnaInverseSqrtTwoPi = 0.39894228040143267794f;

// Noise at scale 1. For a >= 0: tail(a) = F(-a) = 1 - F(a), density(a) = f(a) = f(-a);
// quantile(u) = F^-1(u) for u in (0, 1).
struct AnaUniformNoise {
  QUANTLIB_HOST_DEVICE static float tail(float a) { return 0.5f * select(a < 1.0f, 1.0f - a, 0.0f); }
  QUANTLIB_HOST_DEVICE static float density(float a) { return select(a <= 1.0f, 0.5f, 0.0f); }
  QUANTLIB_HOST_DEVICE static float quantile(float u) { return 2.0f * u - 1.0f; }
};

struct AnaTriangularNoise {
  QUANTLIB_HOST_DEVICE static float tail(float a) {
    const float remaining = select(a < 1.0f, 1.0f - a, 0.0f);
    return 0.5f * remaining * remaining;
  }
  QUANTLIB_HOST_DEVICE static float density(float a) { return select(a < 1.0f, 1.0f - a, 0.0f); }
  QUANTLIB_HOST_DEVICE static float quantile(float u) {
    return select(u < 0.5f, sqrt_float(2.0f * u) - 1.0f, 1.0f - sqrt_float(2.0f * (1.0f - u)));
  }
};

// e^x without a libm call, so the CPU loops that use it vectorise (a call to expf
// keeps them scalar, several times slower than LibTorch's vectorised ops): Cody
// and Waite's reduction x = n ln2 + r, Cephes' polynomial for e^r on |r| <= ln2/2,
// and 2^n written into the exponent bits. Within 2 ulp of e^x on [-87.3, 88.3];
// below that 0, above it infinity: the noises only need the tails to vanish.
// Plain float arithmetic: the same bits on the device (no FMA contraction there).
QUANTLIB_HOST_DEVICE inline float exp_vectorisable(float x) {
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
  const float two_to_n = float_from_bits((static_cast<int32_t>(n) + 127) << 23);
  return select(x < kLow, 0.0f, select(x > kHigh, infinity_float(), exp_r * two_to_n));
}

struct AnaNormalNoise {
  // 0.5 erfc(a / sqrt 2) by the Chebyshev fit of Press, Teukolsky, Vetterling and
  // Flannery (Numerical Recipes, erfcc): fractional error below 1.2e-7 for every a.
  QUANTLIB_HOST_DEVICE static float tail(float a) {
    const float z = a * kAnaSqrtHalf;
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
  QUANTLIB_HOST_DEVICE static float density(float a) {
    return kAnaInverseSqrtTwoPi * exp_vectorisable(-0.5f * a * a);
  }
  QUANTLIB_HOST_DEVICE static float quantile(float u) {
#if defined(__CUDACC__)
    return kAnaSqrtTwo * erfinvf(2.0f * u - 1.0f);
#else
    return kAnaSqrtTwo * calc_erfinv(2.0f * u - 1.0f);
#endif
  }
};

struct AnaLogisticNoise {
  // e^a overflows to infinity for large a, which gives the exact tail 0.
  QUANTLIB_HOST_DEVICE static float tail(float a) { return 1.0f / (1.0f + exp_vectorisable(a)); }
  QUANTLIB_HOST_DEVICE static float density(float a) {
    const float e = exp_vectorisable(-a);
    const float denominator = 1.0f + e;
    return e / (denominator * denominator);
  }
  // libm's logf and log1pf on the CPU, CUDA's on the device: these may differ by an ulp.
  QUANTLIB_HOST_DEVICE static float quantile(float u) {
#if defined(__CUDA_ARCH__)
    return logf(u) - log1pf(-u);
#else
    return __builtin_logf(u) - __builtin_log1pf(-u);
#endif
  }
};

// Calls visit with the noise's struct (on the host, which then launches or
// loops with that type).
template <typename Visit>
void with_noise(AnaNoise noise, const Visit& visit) {
  switch (noise) {
    case AnaNoise::Uniform:
      visit(AnaUniformNoise{});
      return;
    case AnaNoise::Triangular:
      visit(AnaTriangularNoise{});
      return;
    case AnaNoise::Normal:
      visit(AnaNormalNoise{});
      return;
    case AnaNoise::Logistic:
      visit(AnaLogisticNoise{});
      return;
  }
}

// The draw as the noise's quantile sees it: 0 becomes the smallest draw.
QUANTLIB_HOST_DEVICE inline float ana_usable_draw(float draw) {
  return select(draw > 0.0f, draw, kAnaSmallestDraw);
}

// The term of threshold t (jump dq) in the expectation around the hard level.
template <typename Noise>
QUANTLIB_HOST_DEVICE inline float ana_expectation_term(float x, float threshold, float jump, float scale) {
  const float tail = Noise::tail(abs_float(x - threshold) / scale);
  return jump * select(x >= threshold, -tail, tail);
}

// The term of threshold t (jump dq) in the slope sum_i dq_i f((x - t_i) / s).
template <typename Noise>
QUANTLIB_HOST_DEVICE inline float ana_slope_term(float x, float threshold, float jump, float scale) {
  return jump * Noise::density(abs_float(x - threshold) / scale);
}

}  // namespace quantlib::ops::kernels

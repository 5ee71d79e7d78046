#pragma once
// Float helpers of the fused kernels, shared by the CPU kernels (kernels/cpu)
// and the CUDA kernels (kernels/cuda): one formula, one place. Free of LibTorch
// so nvcc compiles the .cu files without it.
//
// The CPU kernels include this header between KernelLoopsBegin.h and
// KernelLoopsEnd.h (see ../cpu/ElementwiseLoops.h for why). On the device the
// same operations give the same bits: the .cu files compile with --fmad=false
// (no contraction into FMA), IEEE division and square root and no flush to
// zero, and rounding / flooring use the hardware's exact instructions.
#include <cstdint>

#if defined(__CUDACC__)
#define QUANTLIB_HOST_DEVICE __host__ __device__
#else
#define QUANTLIB_HOST_DEVICE
#endif

namespace quantlib::ops::kernels {

QUANTLIB_HOST_DEVICE inline float select(bool condition, float if_true, float if_false) {
  return condition ? if_true : if_false;
}

// NaN passes through, as with torch::clamp.
QUANTLIB_HOST_DEVICE inline float clamp(float value, float low, float high) {
  return select(value < low, low, select(value > high, high, value));
}

QUANTLIB_HOST_DEVICE inline float abs_float(float value) {
#if defined(__CUDA_ARCH__)
  return fabsf(value);
#else
  return __builtin_fabsf(value);
#endif
}

// Correctly rounded square root (sqrtss on the CPU, sqrt.rn on the device).
QUANTLIB_HOST_DEVICE inline float sqrt_float(float value) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(value);
#else
  return __builtin_sqrtf(value);
#endif
}

QUANTLIB_HOST_DEVICE inline float infinity_float() {
#if defined(__CUDA_ARCH__)
  return __int_as_float(0x7f800000);
#else
  return __builtin_inff();
#endif
}

QUANTLIB_HOST_DEVICE inline float float_from_bits(int32_t bits) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(bits);
#else
  return __builtin_bit_cast(float, bits);
#endif
}

// Round half to even. On the CPU without a libm call, so the loop vectorises
// with plain SSE2: adding 2^23 to a magnitude below 2^23 leaves no fraction
// bits, and the FPU's round-to-nearest-even does the rounding. Larger
// magnitudes are integers already. The builtins, not std::fabs/std::copysign:
// <cmath>'s wrappers were compiled without the kernel unit's options, so GCC
// would call them instead of inlining them. On the device rintf (cvt.rni),
// which rounds to nearest even too: the same value for every float, -0 for
// small negatives, NaN and infinities passed through.
QUANTLIB_HOST_DEVICE inline float round_half_even(float value) {
#if defined(__CUDA_ARCH__)
  return rintf(value);
#else
  constexpr float kTwoPow23 = 8388608.0f;
  const float magnitude = __builtin_fabsf(value);
  const float rounded = __builtin_copysignf((magnitude + kTwoPow23) - kTwoPow23, value);
  return select(magnitude < kTwoPow23, rounded, value);
#endif
}

// floor: on the CPU from round_half_even (-0 stays -0, -0.3 gives -1); floorf
// (cvt.rmi) on the device, the same value for every float.
QUANTLIB_HOST_DEVICE inline float floor_exact(float value) {
#if defined(__CUDA_ARCH__)
  return floorf(value);
#else
  const float rounded = round_half_even(value);
  return rounded - select(rounded > value, 1.0f, 0.0f);
#endif
}

}  // namespace quantlib::ops::kernels

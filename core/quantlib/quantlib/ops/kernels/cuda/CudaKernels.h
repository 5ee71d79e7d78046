#pragma once
// The CUDA kernels of the fused quantization ops (internal), one entry point
// per CPU kernel of ../*Kernels.h. Free of LibTorch and of CUDA's headers: the
// .cu files that define them compile with nvcc alone, and the ops (which hold
// the tensors) call them with device pointers and the current stream.
//
// Every pointer is a device pointer. Every kernel runs asynchronously on
// `stream`. The learned-parameter gradients and the sign statistics are
// reduced per channel in double: each channel's elements are split into a
// fixed number of parts (it depends on the channel size only, not on the GPU),
// each part summed by one block in a fixed tree, and the parts summed in order
// by a second kernel: the same bits on every run. The reductions need a
// workspace of cuda_reduction_workspace(channels, channel_size) doubles.
#include <cstdint>

#include "quantlib/ops/kernels/AnaKernels.h"
#include "quantlib/ops/kernels/LsqKernels.h"
#include "quantlib/ops/kernels/PactKernels.h"
#include "quantlib/ops/kernels/SymmetricUniformKernels.h"
#include "quantlib/ops/kernels/TqtKernels.h"
#include "quantlib/ops/kernels/UniformSteKernels.h"

struct CUstream_st;

namespace quantlib::ops::kernels::cuda {

using Stream = CUstream_st*;  // cudaStream_t

// Elements one part of a channel's reduction covers at least, and the most parts.
constexpr int64_t kReductionPartElements = 2048;
constexpr int64_t kMaxReductionParts = 1024;

inline int64_t reduction_parts(int64_t channel_size) {
  const int64_t parts = (channel_size + kReductionPartElements - 1) / kReductionPartElements;
  return parts < 1 ? 1 : (parts > kMaxReductionParts ? kMaxReductionParts : parts);
}

// Doubles of workspace a reduction over `channels` channels of `channel_size` elements needs.
inline int64_t reduction_workspace(int64_t channels, int64_t channel_size) {
  return 2 * channels * reduction_parts(channel_size);
}

// Uniform STE.
void uniform_ste_forward(const float* x, float* y, int64_t numel, const UniformSteKernelParams& params, Stream stream);
void uniform_ste_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel,
                          const UniformSteKernelParams& params, Stream stream);

// PACT. grad_x and grad_alpha_sum (one double) may be null when not wanted.
void pact_forward(const float* x, float* y, int64_t numel, const PactKernelParams& params, Stream stream);
void pact_backward(const float* x, const float* grad_y, int64_t numel, const PactKernelParams& params, float* grad_x,
                   double* grad_alpha_sum, double* workspace, Stream stream);

// LSQ; params.steps on the device. step_grad_sums: one double per channel, or null.
void lsq_forward(const float* x, float* y, const LsqKernelParams& params, Stream stream);
void lsq_backward(const float* x, const float* grad_y, const LsqKernelParams& params, float* grad_x,
                  double* step_grad_sums, double* workspace, Stream stream);

// TQT. log2_t_grad_sum: one double, or null.
void tqt_forward(const float* x, float* y, int64_t numel, const TqtKernelParams& params, Stream stream);
void tqt_backward(const float* x, const float* grad_y, int64_t numel, const TqtKernelParams& params, float* grad_x,
                  double* log2_t_grad_sum, double* workspace, Stream stream);

// Symmetric uniform weights; params.scales on the device.
void symmetric_uniform_forward(const float* x, float* y, const SymmetricUniformKernelParams& params, Stream stream);
void symmetric_uniform_backward(const float* x, const float* grad_y, float* grad_x,
                                const SymmetricUniformKernelParams& params, Stream stream);

// Binary and ternary; scales and thresholds: one float per channel on the device.
void binary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size, const float* scales,
                            Stream stream);
void binary_activations_forward(const float* x, float* y, int64_t numel, Stream stream);
void ternary_weights_forward(const float* w, float* y, int64_t channels, int64_t channel_size,
                             const float* thresholds, const float* scales, Stream stream);
void ternary_activations_forward(const float* x, float* y, int64_t numel, float threshold, Stream stream);

// Their statistics (see ../SignKernels.h), per channel in double. counts: the
// number of elements above the threshold, as a double.
void channel_abs_sums(const float* x, int64_t channels, int64_t channel_size, double* sums, double* workspace,
                      Stream stream);
void channel_abs_sums_above(const float* x, int64_t channels, int64_t channel_size, const float* thresholds,
                            double* sums, double* counts, double* workspace, Stream stream);
void clipped_straight_through_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel,
                                       Stream stream);

// INQ.
void inq_forward(const float* w, const float* frozen, float* y, int64_t numel, Stream stream);
void inq_backward(const float* frozen, const float* grad_y, float* grad_w, int64_t numel, Stream stream);

// ANA; params.thresholds and params.levels on the device.
void ana_forward_mode(const float* x, float* y, int64_t numel, const AnaKernelParams& params, Stream stream);
void ana_forward_expectation(const float* x, float* y, int64_t numel, const AnaKernelParams& params, Stream stream);
void ana_forward_random(const float* x, const float* uniform_draws, float* y, int64_t numel,
                        const AnaKernelParams& params, Stream stream);
void ana_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel, const AnaKernelParams& params,
                  Stream stream);

}  // namespace quantlib::ops::kernels::cuda

#pragma once
// Loop drivers of the CUDA kernels (the counterpart of ../cpu/ElementwiseLoops.h):
// grid-stride loops of 256 threads over an element struct of ../elements/, with
// float4 loads and stores where the memory is 16-byte aligned, and the
// deterministic per-channel reduction of CudaKernels.h. Included by the .cu
// files only.
#include <cstdint>

#include <cuda_runtime.h>

#include "quantlib/ops/kernels/cuda/CudaKernels.h"

namespace quantlib::ops::kernels::cuda {

constexpr int kThreads = 256;
// Enough blocks to fill any current GPU; the grid-stride loops cover the rest.
constexpr int64_t kMaxBlocks = 8192;

// Kernel launches report errors at the next runtime call; the ops check
// cudaGetLastError through their own C10_CUDA_KERNEL_LAUNCH_CHECK.
inline int blocks_for(int64_t work) {
  int64_t blocks = (work + kThreads - 1) / kThreads;
  if (blocks < 1) blocks = 1;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  return static_cast<int>(blocks);
}

inline bool aligned16(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

__device__ inline int64_t global_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline int64_t grid_threads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// y[i] = element_for(i / channel_size).forward(x[i]).
template <typename ElementFor>
__global__ void channel_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t numel,
                                       int64_t channel_size, ElementFor element_for) {
  for (int64_t i = global_thread(); i < numel; i += grid_threads()) y[i] = element_for(i / channel_size).forward(x[i]);
}

// One element struct for all of x; float4 over the aligned body, scalar over the tail.
template <typename Element>
__global__ void forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t numel, Element element,
                               bool vectorised) {
  int64_t scalar_from = 0;
  if (vectorised) {
    const int64_t quads = numel / 4;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    float4* y4 = reinterpret_cast<float4*>(y);
    for (int64_t q = global_thread(); q < quads; q += grid_threads()) {
      float4 v = x4[q];
      v.x = element.forward(v.x);
      v.y = element.forward(v.y);
      v.z = element.forward(v.z);
      v.w = element.forward(v.w);
      y4[q] = v;
    }
    scalar_from = quads * 4;
  }
  for (int64_t i = scalar_from + global_thread(); i < numel; i += grid_threads()) y[i] = element.forward(x[i]);
}

// grad_x[i] = element_for(i / channel_size).grad_input(x[i], grad_y[i]).
template <typename ElementFor>
__global__ void channel_grad_input_kernel(const float* __restrict__ x, const float* __restrict__ grad_y,
                                          float* __restrict__ grad_x, int64_t numel, int64_t channel_size,
                                          ElementFor element_for) {
  for (int64_t i = global_thread(); i < numel; i += grid_threads())
    grad_x[i] = element_for(i / channel_size).grad_input(x[i], grad_y[i]);
}

template <typename Element>
__global__ void grad_input_kernel(const float* __restrict__ x, const float* __restrict__ grad_y,
                                  float* __restrict__ grad_x, int64_t numel, Element element, bool vectorised) {
  int64_t scalar_from = 0;
  if (vectorised) {
    const int64_t quads = numel / 4;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    const float4* g4 = reinterpret_cast<const float4*>(grad_y);
    float4* out4 = reinterpret_cast<float4*>(grad_x);
    for (int64_t q = global_thread(); q < quads; q += grid_threads()) {
      const float4 v = x4[q];
      const float4 g = g4[q];
      out4[q] = make_float4(element.grad_input(v.x, g.x), element.grad_input(v.y, g.y), element.grad_input(v.z, g.z),
                            element.grad_input(v.w, g.w));
    }
    scalar_from = quads * 4;
  }
  for (int64_t i = scalar_from + global_thread(); i < numel; i += grid_threads())
    grad_x[i] = element.grad_input(x[i], grad_y[i]);
}

template <typename Element>
void launch_forward(const float* x, float* y, int64_t numel, const Element& element, Stream stream) {
  if (numel == 0) return;
  const bool vectorised = aligned16(x) && aligned16(y);
  forward_kernel<<<blocks_for(vectorised ? (numel + 3) / 4 : numel), kThreads, 0, stream>>>(x, y, numel, element,
                                                                                            vectorised);
}

template <typename ElementFor>
void launch_channel_forward(const float* x, float* y, int64_t channels, int64_t channel_size,
                            const ElementFor& element_for, Stream stream) {
  const int64_t numel = channels * channel_size;
  if (numel == 0) return;
  channel_forward_kernel<<<blocks_for(numel), kThreads, 0, stream>>>(x, y, numel, channel_size, element_for);
}

template <typename Element>
void launch_grad_input(const float* x, const float* grad_y, float* grad_x, int64_t numel, const Element& element,
                       Stream stream) {
  if (numel == 0) return;
  const bool vectorised = aligned16(x) && aligned16(grad_y) && aligned16(grad_x);
  grad_input_kernel<<<blocks_for(vectorised ? (numel + 3) / 4 : numel), kThreads, 0, stream>>>(
      x, grad_y, grad_x, numel, element, vectorised);
}

template <typename ElementFor>
void launch_channel_grad_input(const float* x, const float* grad_y, float* grad_x, int64_t channels,
                               int64_t channel_size, const ElementFor& element_for, Stream stream) {
  const int64_t numel = channels * channel_size;
  if (numel == 0) return;
  channel_grad_input_kernel<<<blocks_for(numel), kThreads, 0, stream>>>(x, grad_y, grad_x, numel, channel_size,
                                                                        element_for);
}

// The deterministic reduction. Part p of the channels * parts parts is
// channel p / parts, elements j = (p % parts) * kThreads + t + k * parts * kThreads
// of it for thread t; each thread sums its elements in order in double, the
// block adds its threads' sums in a fixed tree, and sum_parts_kernel adds a
// channel's parts in order. term(channel, index, sum, count) adds element
// `index` (of the whole tensor) of `channel` to the thread's sum and count.
template <typename Term>
__global__ void reduce_parts_kernel(int64_t channels, int64_t channel_size, int64_t parts, Term term,
                                    double* __restrict__ part_sums, double* __restrict__ part_counts) {
  __shared__ double sums[kThreads];
  __shared__ double counts[kThreads];
  const int64_t total_parts = channels * parts;
  for (int64_t p = blockIdx.x; p < total_parts; p += gridDim.x) {
    const int64_t channel = p / parts;
    const int64_t channel_begin = channel * channel_size;
    double sum = 0.0;
    double count = 0.0;
    for (int64_t j = (p % parts) * kThreads + threadIdx.x; j < channel_size; j += parts * kThreads)
      term(channel, channel_begin + j, sum, count);
    sums[threadIdx.x] = sum;
    counts[threadIdx.x] = count;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) {
        sums[threadIdx.x] += sums[threadIdx.x + half];
        counts[threadIdx.x] += counts[threadIdx.x + half];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      part_sums[p] = sums[0];
      part_counts[p] = counts[0];
    }
    __syncthreads();  // the next part reuses the shared arrays
  }
}

// sums[c] (and counts[c] when not null) = the parts of channel c added in order.
template <typename Unused = void>  // a template: defined in every .cu that includes this header
__global__ void sum_parts_kernel(int64_t channels, int64_t parts, const double* __restrict__ part_sums,
                                        const double* __restrict__ part_counts, double* __restrict__ sums,
                                        double* __restrict__ counts) {
  for (int64_t channel = global_thread(); channel < channels; channel += grid_threads()) {
    double sum = 0.0;
    double count = 0.0;
    for (int64_t part = 0; part < parts; ++part) {
      sum += part_sums[channel * parts + part];
      count += part_counts[channel * parts + part];
    }
    sums[channel] = sum;
    if (counts != nullptr) counts[channel] = count;
  }
}

template <typename Term>
void launch_reduction(int64_t channels, int64_t channel_size, const Term& term, double* sums, double* counts,
                      double* workspace, Stream stream) {
  if (channels == 0) return;
  const int64_t parts = reduction_parts(channel_size);
  const int64_t total_parts = channels * parts;
  double* part_sums = workspace;
  double* part_counts = workspace + total_parts;
  const int blocks = static_cast<int>(total_parts < kMaxBlocks ? total_parts : kMaxBlocks);
  reduce_parts_kernel<<<blocks, kThreads, 0, stream>>>(channels, channel_size, parts, term, part_sums, part_counts);
  sum_parts_kernel<><<<blocks_for(channels), kThreads, 0, stream>>>(channels, parts, part_sums, part_counts, sums,
                                                                  counts);
}

// The term of a backward: writes grad_x (when not null) and adds the element's
// learned-parameter term.
template <typename ElementFor>
struct BackwardTerm {
  const float* x;
  const float* grad_y;
  float* grad_x;
  ElementFor element_for;

  __device__ void operator()(int64_t channel, int64_t index, double& sum, double&) const {
    const auto element = element_for(channel);
    const float xi = x[index];
    const float gi = grad_y[index];
    if (grad_x != nullptr) grad_x[index] = element.grad_input(xi, gi);
    sum += static_cast<double>(element.grad_param_term(xi, gi));
  }
};

// Writes grad_x (when not null) and, when param_grad_sums is not null, the per-channel
// sums of grad_param_term.
template <typename ElementFor>
void launch_backward(const float* x, const float* grad_y, float* grad_x, double* param_grad_sums, int64_t channels,
                     int64_t channel_size, const ElementFor& element_for, double* workspace, Stream stream) {
  if (param_grad_sums == nullptr) {
    if (grad_x != nullptr) launch_channel_grad_input(x, grad_y, grad_x, channels, channel_size, element_for, stream);
    return;
  }
  launch_reduction(channels, channel_size, BackwardTerm<ElementFor>{x, grad_y, grad_x, element_for}, param_grad_sums,
                   nullptr, workspace, stream);
}

// An element the same for every channel, as a device-callable ElementFor.
template <typename Element>
struct SameElement {
  Element element;
  __device__ Element operator()(int64_t) const { return element; }
};

}  // namespace quantlib::ops::kernels::cuda

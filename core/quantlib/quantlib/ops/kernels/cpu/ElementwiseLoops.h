#pragma once
// Loop drivers shared by the fused CPU quantization kernels (the float helpers
// and the element structs are shared with the CUDA kernels: ../elements/).
//
// A kernel describes one element with a small struct (forward value, gradient of
// the input, term of the learned parameter's gradient); these drivers run it over
// contiguous memory in one pass, parallel over chunks, with inner loops simple
// enough for the compiler to vectorise.
//
// Include this header only from a kernel .cpp, after KernelLoopsBegin.h (and end
// the file with KernelLoopsEnd.h): GCC keeps loops that select on float
// comparisons scalar under its default -ftrapping-math (it will not if-convert a
// compare that might raise an FP exception). The kernels never read FP exception
// flags, so their translation units opt out. GCC does not inline a function
// compiled under other options into one compiled under these, so everything a
// loop calls must sit between the markers too: this header and the element structs.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <ATen/Parallel.h>

#include "quantlib/ops/kernels/elements/FloatOps.h"

namespace quantlib::ops::kernels::cpu {

// Element i belongs to channel i / channel_size; a per-tensor parameter is one channel.
struct ChannelLayout {
  int64_t channels = 1;
  int64_t channel_size = 0;
  int64_t numel() const { return channels * channel_size; }
};

// The inner loops are compiled for AVX-512 and AVX2 beside the baseline, and
// the dynamic loader picks the widest the CPU has (an ifunc): the kernels are
// bound by arithmetic (a division, compares and selects per element), so wider
// vectors pay directly. No FMA: the results stay bit-identical to the
// composed reference's.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define QUANTLIB_WIDE_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define QUANTLIB_WIDE_VECTOR_CLONES
#endif

// Blocks of the parameter-gradient reduction; fixed so that sums do not depend on
// the number of threads.
constexpr int64_t kReductionBlock = 2048;

template <typename Element>
QUANTLIB_WIDE_VECTOR_CLONES void forward_segment(const float* __restrict x, float* __restrict y, int64_t count,
                     const Element& element) {
  for (int64_t i = 0; i < count; ++i) y[i] = element.forward(x[i]);
}

template <typename Element>
QUANTLIB_WIDE_VECTOR_CLONES void grad_input_segment(const float* __restrict x, const float* __restrict grad_y,
                        float* __restrict grad_x, int64_t count, const Element& element) {
  for (int64_t i = 0; i < count; ++i) grad_x[i] = element.grad_input(x[i], grad_y[i]);
}

template <typename Element>
QUANTLIB_WIDE_VECTOR_CLONES void grad_terms_segment(const float* __restrict x, const float* __restrict grad_y,
                        float* __restrict grad_x, float* __restrict terms, int64_t count,
                        const Element& element) {
  for (int64_t i = 0; i < count; ++i) {
    grad_x[i] = element.grad_input(x[i], grad_y[i]);
    terms[i] = element.grad_param_term(x[i], grad_y[i]);
  }
}

template <typename Element>
QUANTLIB_WIDE_VECTOR_CLONES void param_terms_segment(const float* __restrict x, const float* __restrict grad_y,
                         float* __restrict terms, int64_t count, const Element& element) {
  for (int64_t i = 0; i < count; ++i) terms[i] = element.grad_param_term(x[i], grad_y[i]);
}

// Sixteen independent float accumulators: a reduction the compiler vectorises
// without reassociating (which it may not do without -ffast-math).
QUANTLIB_WIDE_VECTOR_CLONES inline double sum_in_lanes(const float* __restrict terms, int64_t count) {
  constexpr int kLanes = 16;
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    for (int lane = 0; lane < kLanes; ++lane) lanes[lane] += terms[i + lane];
  double total = 0.0;
  for (; i < count; ++i) total += terms[i];
  for (int lane = 0; lane < kLanes; ++lane) total += lanes[lane];
  return total;
}

// Calls visit(channel, begin, end) for the channel segments of [begin, end).
template <typename Visit>
void for_each_channel_segment(ChannelLayout layout, int64_t begin, int64_t end, const Visit& visit) {
  while (begin < end) {
    const int64_t channel = begin / layout.channel_size;
    const int64_t segment_end = std::min(end, (channel + 1) * layout.channel_size);
    visit(channel, begin, segment_end);
    begin = segment_end;
  }
}

// element_for_channel(c) returns the element struct for channel c.
template <typename ElementForChannel>
void run_forward(const float* x, float* y, ChannelLayout layout,
                 const ElementForChannel& element_for_channel) {
  at::parallel_for(0, layout.numel(), at::internal::GRAIN_SIZE, [&](int64_t begin, int64_t end) {
    for_each_channel_segment(layout, begin, end, [&](int64_t channel, int64_t from, int64_t to) {
      forward_segment(x + from, y + from, to - from, element_for_channel(channel));
    });
  });
}

// Writes grad_x when it is not null and, when param_grad_sums is not null, one sum
// of grad_param_term per channel into it (in double; deterministic for any number
// of threads).
template <typename ElementForChannel>
void run_backward(const float* x, const float* grad_y, float* grad_x, double* param_grad_sums,
                  ChannelLayout layout, const ElementForChannel& element_for_channel) {
  if (param_grad_sums == nullptr) {
    if (grad_x == nullptr) return;
    at::parallel_for(0, layout.numel(), at::internal::GRAIN_SIZE, [&](int64_t begin, int64_t end) {
      for_each_channel_segment(layout, begin, end, [&](int64_t channel, int64_t from, int64_t to) {
        grad_input_segment(x + from, grad_y + from, grad_x + from, to - from,
                           element_for_channel(channel));
      });
    });
    return;
  }

  const int64_t blocks_per_channel =
      (layout.channel_size + kReductionBlock - 1) / kReductionBlock;
  const int64_t blocks = layout.channels * blocks_per_channel;
  std::vector<double> block_sums(blocks, 0.0);
  const int64_t block_elements = std::max<int64_t>(1, std::min(layout.channel_size, kReductionBlock));
  const int64_t grain_blocks = std::max<int64_t>(1, at::internal::GRAIN_SIZE / block_elements);
  at::parallel_for(0, blocks, grain_blocks, [&](int64_t first_block, int64_t last_block) {
    float terms[kReductionBlock];
    for (int64_t block = first_block; block < last_block; ++block) {
      const int64_t channel = block / blocks_per_channel;
      const int64_t offset_in_channel = (block % blocks_per_channel) * kReductionBlock;
      const int64_t begin = channel * layout.channel_size + offset_in_channel;
      const int64_t count = std::min(kReductionBlock, layout.channel_size - offset_in_channel);
      const auto element = element_for_channel(channel);
      if (grad_x != nullptr)
        grad_terms_segment(x + begin, grad_y + begin, grad_x + begin, terms, count, element);
      else
        param_terms_segment(x + begin, grad_y + begin, terms, count, element);
      block_sums[block] = sum_in_lanes(terms, count);
    }
  });
  for (int64_t channel = 0; channel < layout.channels; ++channel) {
    double total = 0.0;
    for (int64_t block = 0; block < blocks_per_channel; ++block)
      total += block_sums[channel * blocks_per_channel + block];
    param_grad_sums[channel] = total;
  }
}

}  // namespace quantlib::ops::kernels::cpu

// Fused CPU kernels shared by the binary and ternary quantizers: per-channel
// statistics of |x| and the clipped straight-through backward.
#include "quantlib/ops/kernels/SignKernels.h"

#include "quantlib/ops/kernels/cpu/KernelLoopsBegin.h"
#include "quantlib/ops/kernels/cpu/ElementwiseLoops.h"
#include "quantlib/ops/kernels/elements/Signs.h"

namespace quantlib::ops::kernels::cpu {
namespace {

struct BlockTotals {
  double sum = 0.0;
  double count = 0.0;
};

// Double accumulators, so that a scale is its exact mean rounded once to float
// (the composed reference sums in double too); independent lanes so the loop
// vectorises without reassociation.
constexpr int kLanes = 8;

double sum_in_double_lanes(const float* __restrict values, int64_t count) {
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    for (int lane = 0; lane < kLanes; ++lane) lanes[lane] += static_cast<double>(values[i + lane]);
  double total = 0.0;
  for (; i < count; ++i) total += static_cast<double>(values[i]);
  for (int lane = 0; lane < kLanes; ++lane) total += lanes[lane];
  return total;
}

BlockTotals abs_block_totals(const float* __restrict x, int64_t count) {
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    for (int lane = 0; lane < kLanes; ++lane) lanes[lane] += static_cast<double>(__builtin_fabsf(x[i + lane]));
  BlockTotals totals;
  for (; i < count; ++i) totals.sum += static_cast<double>(__builtin_fabsf(x[i]));
  for (int lane = 0; lane < kLanes; ++lane) totals.sum += lanes[lane];
  totals.count = static_cast<double>(count);
  return totals;
}

// Selects into float buffers first, then sums them: GCC does not vectorise a
// select widened to double inside the accumulating loop. count <= kReductionBlock.
BlockTotals abs_block_totals_above(const float* __restrict x, int64_t count, float threshold) {
  float kept[kReductionBlock];
  float counted[kReductionBlock];
  for (int64_t i = 0; i < count; ++i) {
    const float magnitude = __builtin_fabsf(x[i]);
    kept[i] = select(magnitude > threshold, magnitude, 0.0f);
    counted[i] = select(magnitude > threshold, 1.0f, 0.0f);
  }
  return BlockTotals{sum_in_double_lanes(kept, count), sum_in_double_lanes(counted, count)};
}

// Per-channel totals over fixed blocks, combined in block order: the same bits
// for any number of threads. block_totals(channel, begin, count) sums one block.
template <typename BlockTotalsOf>
void channel_totals(int64_t channels, int64_t channel_size, double* sums, int64_t* counts,
                    const BlockTotalsOf& block_totals) {
  const int64_t blocks_per_channel = (channel_size + kReductionBlock - 1) / kReductionBlock;
  const int64_t blocks = channels * blocks_per_channel;
  std::vector<BlockTotals> totals(static_cast<size_t>(blocks));
  const int64_t block_elements = std::max<int64_t>(1, std::min(channel_size, kReductionBlock));
  const int64_t grain_blocks = std::max<int64_t>(1, at::internal::GRAIN_SIZE / block_elements);
  at::parallel_for(0, blocks, grain_blocks, [&](int64_t first_block, int64_t last_block) {
    for (int64_t block = first_block; block < last_block; ++block) {
      const int64_t channel = block / blocks_per_channel;
      const int64_t offset_in_channel = (block % blocks_per_channel) * kReductionBlock;
      const int64_t count = std::min(kReductionBlock, channel_size - offset_in_channel);
      totals[static_cast<size_t>(block)] =
          block_totals(channel, channel * channel_size + offset_in_channel, count);
    }
  });
  for (int64_t channel = 0; channel < channels; ++channel) {
    BlockTotals channel_total;
    for (int64_t block = channel * blocks_per_channel; block < (channel + 1) * blocks_per_channel; ++block) {
      channel_total.sum += totals[static_cast<size_t>(block)].sum;
      channel_total.count += totals[static_cast<size_t>(block)].count;
    }
    sums[channel] = channel_total.sum;
    if (counts != nullptr) counts[channel] = static_cast<int64_t>(channel_total.count);
  }
}

}  // namespace

void channel_abs_sums(const float* x, int64_t channels, int64_t channel_size, double* sums) {
  channel_totals(channels, channel_size, sums, nullptr,
                 [&](int64_t, int64_t begin, int64_t count) { return abs_block_totals(x + begin, count); });
}

void channel_abs_sums_above(const float* x, int64_t channels, int64_t channel_size, const float* thresholds,
                            double* sums, int64_t* counts) {
  channel_totals(channels, channel_size, sums, counts, [&](int64_t channel, int64_t begin, int64_t count) {
    return abs_block_totals_above(x + begin, count, thresholds[channel]);
  });
}

void clipped_straight_through_backward(const float* x, const float* grad_y, float* grad_x, int64_t numel) {
  run_backward(x, grad_y, grad_x, nullptr, ChannelLayout{1, numel},
               [](int64_t) { return ClippedStraightThroughElement{}; });
}

}  // namespace quantlib::ops::kernels::cpu

#include "quantlib/ops/kernels/cpu/KernelLoopsEnd.h"

#include "quantlib/deploy/fast/ByteKernels.h"

#include <algorithm>
#include <limits>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "quantlib/deploy/RequantArithmetic.h"

namespace quantlib::deploy::fast {
namespace {

using torch::Tensor;

// v at element i of one input.
template <class T>
struct Reader {
  const T* data;
  int64_t zero_point;
  int64_t operator()(int64_t i) const { return static_cast<int64_t>(data[i]) - zero_point; }
};

// Inputs of one element type, read through Reader<T>.
template <class T>
std::vector<Reader<T>> readers(const std::vector<ChannelsLastValue>& inputs) {
  std::vector<Reader<T>> result;
  for (const auto& input : inputs) result.push_back({input.data.data_ptr<T>(), input.zero_point});
  return result;
}

struct RequantTables {
  std::vector<std::vector<int64_t>> multipliers;  // [input][channel]
  std::vector<int64_t> offset;                    // [channel]
  Tensor thresholds;                              // int64 [C, T], contiguous; undefined for the shift form
};

template <class T>
void requant_loop(const std::vector<Reader<T>>& sources, const RequantTables& tables, const IntegerNode& node,
                  int64_t output_zero_point, int64_t rows, int64_t channels, uint8_t* target) {
  const ShiftRounding round(node.shift, node.rounding);
  const int64_t lo = node.lo, hi = node.hi;
  const bool threshold_form = tables.thresholds.defined();
  const int64_t count = threshold_form ? tables.thresholds.size(1) : 0;
  const int64_t* thresholds = threshold_form ? tables.thresholds.data_ptr<int64_t>() : nullptr;
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t i = row * channels + c;
        int64_t t = tables.offset[static_cast<size_t>(c)];
        for (size_t k = 0; k < sources.size(); ++k) t += sources[k](i) * tables.multipliers[k][static_cast<size_t>(c)];
        int64_t v = 0;
        if (threshold_form) {
          const int64_t* row_thresholds = thresholds + c * count;
          v = lo + node.threshold_gain * (std::upper_bound(row_thresholds, row_thresholds + count, t) - row_thresholds);
        } else {
          v = std::clamp(round(t), lo, hi);
        }
        target[i] = static_cast<uint8_t>(v + output_zero_point);
      }
    }
  });
}

// The output extent of one pooling dimension, as torch computes it.
int64_t pooled_size(int64_t size, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation, bool ceil_mode) {
  const int64_t span = size + 2 * padding - dilation * (kernel - 1) - 1;
  int64_t out = (span + (ceil_mode ? stride - 1 : 0)) / stride + 1;
  if (ceil_mode && (out - 1) * stride >= size + padding) --out;
  return out;
}

// One pooling node over bytes x [N, C, H, W] (channels-last): an output of
// `Out` (channels-last, zeroed), and for every output pixel and every input
// pixel of its window (padding skipped) combine(out_value, in_byte) on each
// of the C channels.
template <class Out, class Combine>
Tensor pool(const Tensor& input, const IntegerNode& node, torch::ScalarType out_type, Combine combine) {
  const Tensor x = channels_innermost(input);
  const int64_t height = x.size(2), width = x.size(3), channels = x.size(1);
  const int64_t out_h =
      pooled_size(height, node.kernel[0], node.stride[0], node.padding[0], node.dilation[0], node.ceil_mode);
  const int64_t out_w =
      pooled_size(width, node.kernel[1], node.stride[1], node.padding[1], node.dilation[1], node.ceil_mode);
  Tensor out =
      at::empty({x.size(0), channels, out_h, out_w}, x.options().dtype(out_type), at::MemoryFormat::ChannelsLast)
          .zero_();
  const uint8_t* source = x.data_ptr<uint8_t>();
  Out* target = out.data_ptr<Out>();
  at::parallel_for(0, x.size(0) * out_h, 1, [&](int64_t begin, int64_t end) {
    for (int64_t image_row = begin; image_row < end; ++image_row) {
      const int64_t n = image_row / out_h, oh = image_row % out_h;
      for (int64_t ow = 0; ow < out_w; ++ow) {
        Out* result = target + (image_row * out_w + ow) * channels;
        for (int64_t kh = 0; kh < node.kernel[0]; ++kh) {
          const int64_t ih = oh * node.stride[0] - node.padding[0] + kh * node.dilation[0];
          if (ih < 0 || ih >= height) continue;
          for (int64_t kw = 0; kw < node.kernel[1]; ++kw) {
            const int64_t iw = ow * node.stride[1] - node.padding[1] + kw * node.dilation[1];
            if (iw < 0 || iw >= width) continue;
            const uint8_t* value = source + ((n * height + ih) * width + iw) * channels;
            for (int64_t c = 0; c < channels; ++c) result[c] = combine(result[c], value[c]);
          }
        }
      }
    }
  });
  return out;
}

}  // namespace

Tensor channels_innermost(const Tensor& x) {
  return x.dim() == 4 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.contiguous();
}

Tensor requant_to_bytes(const std::vector<ChannelsLastValue>& inputs, const IntegerNode& node,
                        int64_t output_zero_point) {
  const Tensor& first = inputs.at(0).data;
  TORCH_CHECK(first.dim() == 2 || first.dim() == 4, "FastIntegerNetwork: Requant '", node.name,
              "' takes [N, C] or [N, C, H, W] values, not ", first.dim(), "-d");
  const int64_t channels = first.size(1);
  // One element type for every input; mixed inputs meet as int32.
  std::vector<ChannelsLastValue> held;
  bool same_type = true;
  for (const auto& input : inputs) {
    TORCH_CHECK(input.data.sizes() == first.sizes(), "FastIntegerNetwork: Requant '", node.name,
                "' inputs differ in shape");
    same_type = same_type && input.data.scalar_type() == first.scalar_type();
  }
  for (const auto& input : inputs)
    held.push_back(same_type ? ChannelsLastValue{channels_innermost(input.data), input.zero_point}
                             : ChannelsLastValue{channels_innermost(input.data.to(torch::kInt) - input.zero_point), 0});

  RequantTables tables;
  for (const auto& multiplier : node.multipliers) tables.multipliers.push_back(per_channel_values(multiplier, channels));
  tables.offset = per_channel_values(node.offset, channels);
  if (node.thresholds.defined())
    tables.thresholds = node.thresholds.to(torch::kLong).expand({channels, node.thresholds.size(1)}).contiguous();

  Tensor out = first.dim() == 4 ? at::empty(first.sizes(), first.options().dtype(torch::kByte),
                                            at::MemoryFormat::ChannelsLast)
                                : at::empty(first.sizes(), first.options().dtype(torch::kByte));
  const int64_t rows = channels == 0 ? 0 : first.numel() / channels;
  uint8_t* target = out.data_ptr<uint8_t>();
  switch (held[0].data.scalar_type()) {
    case torch::kByte: requant_loop(readers<uint8_t>(held), tables, node, output_zero_point, rows, channels, target); break;
    case torch::kFloat: requant_loop(readers<float>(held), tables, node, output_zero_point, rows, channels, target); break;
    case torch::kInt: requant_loop(readers<int32_t>(held), tables, node, output_zero_point, rows, channels, target); break;
    default: TORCH_CHECK(false, "FastIntegerNetwork: Requant '", node.name, "' reads ", held[0].data.scalar_type());
  }
  return out;
}

Tensor max_pool_bytes(const Tensor& input, const IntegerNode& node) {
  // Every window holds at least one input pixel (torch's rule for the output
  // size), so maximising from 0, the smallest byte, is maximising over it.
  return pool<uint8_t>(input, node, torch::kByte, [](uint8_t best, uint8_t value) { return std::max(best, value); });
}

Tensor sum_pool_bytes(const Tensor& input, int64_t zero_point, const IntegerNode& node) {
  const auto offset = static_cast<int32_t>(zero_point);
  return pool<int32_t>(input, node, torch::kInt,
                       [offset](int32_t sum, uint8_t value) { return sum + static_cast<int32_t>(value) - offset; });
}

}  // namespace quantlib::deploy::fast

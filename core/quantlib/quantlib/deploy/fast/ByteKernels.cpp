#include "quantlib/deploy/fast/ByteKernels.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "quantlib/deploy/RequantArithmetic.h"

namespace quantlib::deploy::fast {
namespace {

using torch::Tensor;

// Calls f with a null pointer of the element type of `type` (uint8, float32, int32).
template <class F>
void with_element_type(torch::ScalarType type, const IntegerNode& node, F f) {
  switch (type) {
    case torch::kByte: return f(static_cast<const uint8_t*>(nullptr));
    case torch::kFloat: return f(static_cast<const float*>(nullptr));
    case torch::kInt: return f(static_cast<const int32_t*>(nullptr));
    default: TORCH_CHECK(false, "FastIntegerNetwork: Requant '", node.name, "' reads ", type);
  }
}

// One Requant node into bytes: t = sum_k x_k * multipliers(k)[c] + bias()[c]
// for the stored values x_k of channel c (the inputs' zero points folded into
// the bias), then the node's rounding and clamp, or its thresholds, then the
// output zero point.
class ByteRequant {
 public:
  ByteRequant(const IntegerNode& node, const std::vector<int64_t>& input_zero_points, int64_t channels,
              int64_t output_zero_point)
      : round_(node.shift, node.rounding),
        lo_(node.lo),
        hi_(node.hi),
        gain_(node.threshold_gain),
        output_zero_point_(output_zero_point),
        bias_(per_channel_values(node.offset, channels)) {
    for (size_t k = 0; k < input_zero_points.size(); ++k) {
      multipliers_.push_back(per_channel_values(node.multipliers.at(k), channels));
      for (int64_t c = 0; c < channels; ++c)
        bias_[static_cast<size_t>(c)] -= input_zero_points[k] * multipliers_[k][static_cast<size_t>(c)];
    }
    if (node.thresholds.defined()) {
      thresholds_ = node.thresholds.to(torch::kLong).expand({channels, node.thresholds.size(1)}).contiguous();
      count_ = thresholds_.size(1);
    }
  }

  const int64_t* multipliers(size_t k) const { return multipliers_[k].data(); }
  const int64_t* bias() const { return bias_.data(); }

  uint8_t operator()(int64_t t, int64_t c) const {
    int64_t v = 0;
    if (count_ > 0) {
      const int64_t* row = thresholds_.data_ptr<int64_t>() + c * count_;
      v = lo_ + gain_ * (std::upper_bound(row, row + count_, t) - row);
    } else {
      v = std::min(std::max(round_(t), lo_), hi_);
    }
    return static_cast<uint8_t>(v + output_zero_point_);
  }

 private:
  ShiftRounding round_;
  int64_t lo_, hi_, gain_, output_zero_point_;
  std::vector<std::vector<int64_t>> multipliers_;  // [input][channel]
  std::vector<int64_t> bias_;                      // [channel]
  Tensor thresholds_;                              // int64 [C, T]; undefined for the shift form
  int64_t count_ = 0;
};

// target[i] = step(sum(i, c), c) over rows x channels elements, in parallel over rows.
template <class Sum>
void requant_rows(const ByteRequant& step, int64_t rows, int64_t channels, uint8_t* target, Sum sum) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(channels, 1));
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t base = row * channels;
      for (int64_t c = 0; c < channels; ++c) target[base + c] = step(sum(base + c, c), c);
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

// An empty channels-last [N, C, Ho, Wo] output of `type` for a pooling node over x.
Tensor pooled_output(const Tensor& x, const IntegerNode& node, torch::ScalarType type) {
  const int64_t out_h =
      pooled_size(x.size(2), node.kernel[0], node.stride[0], node.padding[0], node.dilation[0], node.ceil_mode);
  const int64_t out_w =
      pooled_size(x.size(3), node.kernel[1], node.stride[1], node.padding[1], node.dilation[1], node.ceil_mode);
  return at::empty({x.size(0), x.size(1), out_h, out_w}, x.options().dtype(type), at::MemoryFormat::ChannelsLast);
}

// Every output pixel of one pooling node over x [N, C, H, W] of `In`
// (channels-last) into `out` (from pooled_output): the input pixels of its
// window (padding skipped) combined channel by channel into C values of
// `Acc` that start at `start`, then emit(out_pixel, values).
template <class In, class Acc, class Combine, class Emit>
void pool_windows(const Tensor& x, const Tensor& out, const IntegerNode& node, Acc start, Combine combine,
                  Emit emit) {
  const int64_t height = x.size(2), width = x.size(3), channels = x.size(1);
  const int64_t out_h = out.size(2), out_w = out.size(3);
  const In* source = x.data_ptr<In>();
  at::parallel_for(0, x.size(0) * out_h, 1, [&](int64_t begin, int64_t end) {
    std::vector<Acc> values(static_cast<size_t>(channels));
    Acc* value = values.data();
    for (int64_t image_row = begin; image_row < end; ++image_row) {
      const int64_t n = image_row / out_h, oh = image_row % out_h;
      for (int64_t ow = 0; ow < out_w; ++ow) {
        std::fill(values.begin(), values.end(), start);
        for (int64_t kh = 0; kh < node.kernel[0]; ++kh) {
          const int64_t ih = oh * node.stride[0] - node.padding[0] + kh * node.dilation[0];
          if (ih < 0 || ih >= height) continue;
          for (int64_t kw = 0; kw < node.kernel[1]; ++kw) {
            const int64_t iw = ow * node.stride[1] - node.padding[1] + kw * node.dilation[1];
            if (iw < 0 || iw >= width) continue;
            const In* pixel = source + ((n * height + ih) * width + iw) * channels;
            for (int64_t c = 0; c < channels; ++c) value[c] = combine(value[c], pixel[c]);
          }
        }
        emit(image_row * out_w + ow, value);
      }
    }
  });
}

}  // namespace

Tensor channels_innermost(const Tensor& x) {
  if (x.dim() == 4) return x.contiguous(at::MemoryFormat::ChannelsLast);
  if (x.dim() <= 2) return x.contiguous();
  // [N, C, ...] with C varying fastest in memory, for any rank.
  return x.movedim(1, -1).contiguous().movedim(-1, 1);
}

Tensor requant_to_bytes(const std::vector<ChannelsInnermostValue>& inputs, const IntegerNode& node,
                        int64_t output_zero_point) {
  const Tensor& first = inputs.at(0).data;
  const int64_t channels = first.dim() > 1 ? first.size(1) : 1;
  // One or two inputs of any element types; more meet as int32.
  std::vector<Tensor> held;
  std::vector<int64_t> zero_points;
  for (const auto& input : inputs) {
    TORCH_CHECK(input.data.sizes() == first.sizes(), "FastIntegerNetwork: Requant '", node.name,
                "' inputs differ in shape");
    held.push_back(channels_innermost(inputs.size() > 2 ? input.data.to(torch::kInt) : input.data));
    zero_points.push_back(input.zero_point);
  }
  const ByteRequant step(node, zero_points, channels, output_zero_point);
  // The inputs' channels-innermost layout (empty_like keeps their strides).
  Tensor out = at::empty_like(held[0], held[0].options().dtype(torch::kByte));
  const int64_t rows = channels == 0 ? 0 : first.numel() / channels;
  uint8_t* target = out.data_ptr<uint8_t>();
  const int64_t* bias = step.bias();
  const auto run = [&](auto sum) { requant_rows(step, rows, channels, target, sum); };
  if (held.size() == 1) {
    with_element_type(held[0].scalar_type(), node, [&](auto type) {
      using A = std::remove_const_t<std::remove_pointer_t<decltype(type)>>;
      const A* a = held[0].data_ptr<A>();
      const int64_t* m = step.multipliers(0);
      run([=](int64_t i, int64_t c) { return static_cast<int64_t>(a[i]) * m[c] + bias[c]; });
    });
  } else if (held.size() == 2) {
    with_element_type(held[0].scalar_type(), node, [&](auto first_type) {
      with_element_type(held[1].scalar_type(), node, [&](auto second_type) {
        using A = std::remove_const_t<std::remove_pointer_t<decltype(first_type)>>;
        using B = std::remove_const_t<std::remove_pointer_t<decltype(second_type)>>;
        const A* a = held[0].data_ptr<A>();
        const B* b = held[1].data_ptr<B>();
        const int64_t* ma = step.multipliers(0);
        const int64_t* mb = step.multipliers(1);
        run([=](int64_t i, int64_t c) {
          return static_cast<int64_t>(a[i]) * ma[c] + static_cast<int64_t>(b[i]) * mb[c] + bias[c];
        });
      });
    });
  } else {
    std::vector<const int32_t*> sources;
    for (const auto& input : held) sources.push_back(input.data_ptr<int32_t>());
    run([&](int64_t i, int64_t c) {
      int64_t t = bias[c];
      for (size_t k = 0; k < sources.size(); ++k) t += int64_t{sources[k][i]} * step.multipliers(k)[c];
      return t;
    });
  }
  return out;
}

Tensor max_pool_requant_to_bytes(const Tensor& accumulators, const IntegerNode& pool, const IntegerNode& requant,
                                 int64_t output_zero_point) {
  const Tensor x = channels_innermost(accumulators);
  TORCH_CHECK(x.scalar_type() == torch::kFloat && x.dim() == 4, "FastIntegerNetwork: Requant '", requant.name,
              "' pools float32 NCHW accumulators only");
  const int64_t channels = x.size(1);
  const ByteRequant step(requant, {0}, channels, output_zero_point);
  const int64_t* m = step.multipliers(0);
  const int64_t* bias = step.bias();
  Tensor out = pooled_output(x, pool, torch::kByte);
  uint8_t* target = out.data_ptr<uint8_t>();
  // Every window holds at least one input pixel (torch's rule for the output
  // size): the start never survives.
  pool_windows<float>(x, out, pool, -std::numeric_limits<float>::infinity(),
                      [](float best, float value) { return std::max(best, value); },
                      [&](int64_t pixel, const float* maxima) {
                        uint8_t* bytes = target + pixel * channels;
                        for (int64_t c = 0; c < channels; ++c)
                          bytes[c] = step(static_cast<int64_t>(maxima[c]) * m[c] + bias[c], c);
                      });
  return out;
}

Tensor max_pool_bytes(const Tensor& input, const IntegerNode& node) {
  const Tensor x = channels_innermost(input);
  Tensor out = pooled_output(x, node, torch::kByte);
  uint8_t* target = out.data_ptr<uint8_t>();
  const int64_t channels = x.size(1);
  // Every window holds at least one input pixel: starting from 0, the
  // smallest byte, is starting from the first.
  pool_windows<uint8_t>(x, out, node, uint8_t{0}, [](uint8_t best, uint8_t value) { return std::max(best, value); },
                        [&](int64_t pixel, const uint8_t* maxima) {
                          std::copy(maxima, maxima + channels, target + pixel * channels);
                        });
  return out;
}

Tensor sum_pool_bytes(const Tensor& input, int64_t zero_point, const IntegerNode& node) {
  const Tensor x = channels_innermost(input);
  Tensor out = pooled_output(x, node, torch::kInt);
  int32_t* target = out.data_ptr<int32_t>();
  const int64_t channels = x.size(1);
  const auto offset = static_cast<int32_t>(zero_point);
  pool_windows<uint8_t>(x, out, node, int32_t{0},
                        [offset](int32_t sum, uint8_t value) { return sum + static_cast<int32_t>(value) - offset; },
                        [&](int64_t pixel, const int32_t* sums) {
                          std::copy(sums, sums + channels, target + pixel * channels);
                        });
  return out;
}

}  // namespace quantlib::deploy::fast

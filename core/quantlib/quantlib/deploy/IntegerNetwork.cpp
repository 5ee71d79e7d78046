#include "quantlib/deploy/IntegerNetwork.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>

#include "quantlib/deploy/RequantArithmetic.h"
#include "quantlib/ops/AlongChannels.h"

namespace quantlib::deploy {
namespace {

using torch::Tensor;

// Windows of a padded NCHW tensor: [N, C, Ho, Wo, kh, kw] (a view when no
// dilation). Padding uses `fill`.
Tensor windows(const Tensor& x, const IntegerNode& node, int64_t fill, std::array<int64_t, 2> kernel) {
  const int64_t kh = node.dilation[0] * (kernel[0] - 1) + 1;
  const int64_t kw = node.dilation[1] * (kernel[1] - 1) + 1;
  std::array<int64_t, 2> extra{0, 0};
  if (node.ceil_mode) {
    for (int d = 0; d < 2; ++d) {
      const int64_t size = x.size(2 + d) + 2 * node.padding[d];
      const int64_t k = d == 0 ? kh : kw;
      int64_t out = (size - k + node.stride[d] - 1) / node.stride[d] + 1;
      // As torch: the last window must start inside the input or its left padding.
      if ((out - 1) * node.stride[d] >= x.size(2 + d) + node.padding[d]) --out;
      extra[d] = std::max<int64_t>(0, (out - 1) * node.stride[d] + k - size);
    }
  }
  const Tensor padded = torch::constant_pad_nd(
      x, {node.padding[1], node.padding[1] + extra[1], node.padding[0], node.padding[0] + extra[0]},
      static_cast<double>(fill));
  Tensor cols = padded.unfold(2, kh, node.stride[0]).unfold(3, kw, node.stride[1]);
  if (node.dilation[0] > 1) cols = cols.slice(4, 0, kh, node.dilation[0]);
  if (node.dilation[1] > 1) cols = cols.slice(5, 0, kw, node.dilation[1]);
  return cols;
}

// int32 convolution as im2col + int32 matrix product: LibTorch's CPU conv2d
// takes floating types only.
Tensor conv2d(const Tensor& x, const IntegerNode& node) {
  const Tensor weight = node.weight.to(torch::kInt);
  const int64_t n = x.size(0);
  const int64_t out_channels = weight.size(0);
  const int64_t group_out = out_channels / node.groups;
  const int64_t group_in = x.size(1) / node.groups;
  std::vector<Tensor> parts;
  for (int64_t g = 0; g < node.groups; ++g) {
    const Tensor input = node.groups == 1 ? x : x.slice(1, g * group_in, (g + 1) * group_in);
    const Tensor cols = windows(input, node, 0, {weight.size(2), weight.size(3)});
    const int64_t ho = cols.size(2), wo = cols.size(3);
    const Tensor matrix = cols.permute({0, 2, 3, 1, 4, 5}).reshape({n * ho * wo, -1});
    const Tensor w = (node.groups == 1 ? weight : weight.slice(0, g * group_out, (g + 1) * group_out))
                         .reshape({group_out, -1});
    parts.push_back(matrix.mm(w.t()).view({n, ho, wo, group_out}).permute({0, 3, 1, 2}));
  }
  return (node.groups == 1 ? parts[0] : torch::cat(parts, 1)).contiguous();
}

// The float type whose kernels compute this layer's integer products exactly
// (see ProductKernels), or nullopt. The accumulator's [lo, hi] bounds every
// partial sum too: integerize sets it to the bound sum_k |w_k| * max|x|.
std::optional<torch::ScalarType> exact_float_type(const IntegerNode& node) {
  const auto bound = static_cast<double>(std::max(std::abs(node.lo), std::abs(node.hi)));
  if (bound < 16777216.0) return torch::kFloat;          // 2^24
  if (bound < 9007199254740992.0) return torch::kDouble;  // 2^53
  return std::nullopt;
}

Tensor product(const Tensor& x, const IntegerNode& node, ProductKernels kernels) {
  const auto type = kernels == ProductKernels::fastest_exact ? exact_float_type(node) : std::nullopt;
  if (!type) return node.op == OpKind::Conv2d ? conv2d(x, node) : x.mm(node.weight.to(torch::kInt).t());
  const Tensor weight = node.weight.to(*type);
  const Tensor y = node.op == OpKind::Conv2d
                       ? torch::conv2d(x.to(*type), weight, {}, {node.stride[0], node.stride[1]},
                                       {node.padding[0], node.padding[1]}, {node.dilation[0], node.dilation[1]},
                                       node.groups)
                       : x.to(*type).mm(weight.t());
  return y.to(torch::kInt);  // exact integers: the conversion does not round
}

// The multiply-add-shift form in one pass over the elements (the tensor
// formula would make ten passes over int64 copies): same integers.
Tensor requant_fused(const std::vector<Tensor>& inputs, const IntegerNode& node) {
  const Tensor& first = inputs[0];
  const int64_t outer = first.size(0);
  const int64_t channels = first.dim() > 1 ? first.size(1) : 1;
  const int64_t inner = outer * channels == 0 ? 0 : first.numel() / (outer * channels);
  std::vector<Tensor> held;
  std::vector<const int32_t*> sources;
  std::vector<std::vector<int64_t>> multipliers;
  for (size_t k = 0; k < inputs.size(); ++k) {
    TORCH_CHECK(inputs[k].sizes() == first.sizes(), "IntegerNetwork: Requant '", node.name, "' inputs differ in shape");
    held.push_back(inputs[k].to(torch::kInt).contiguous());
    sources.push_back(held.back().data_ptr<int32_t>());
    multipliers.push_back(per_channel_values(node.multipliers[k], channels));
  }
  const std::vector<int64_t> offset = per_channel_values(node.offset, channels);
  Tensor out = torch::empty(first.sizes(), torch::kInt);
  int32_t* target = out.data_ptr<int32_t>();
  const ShiftRounding round(node.shift, node.rounding);
  const int64_t lo = node.lo, hi = node.hi;
  at::parallel_for(0, outer * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t c = row % channels;
      const int64_t base = row * inner;
      for (int64_t i = 0; i < inner; ++i) {
        int64_t t = offset[c];
        for (size_t k = 0; k < sources.size(); ++k) t += int64_t{sources[k][base + i]} * multipliers[k][c];
        target[base + i] = static_cast<int32_t>(std::clamp(round(t), lo, hi));
      }
    }
  });
  return out;
}

// LibTorch's float32 max pooling where it holds every value of the range
// exactly (|v| < 2^24), else windows over the int32 tensor.
Tensor max_pool(const Tensor& x, const IntegerNode& node, ProductKernels kernels) {
  if (kernels == ProductKernels::fastest_exact && std::max(std::abs(node.lo), std::abs(node.hi)) < (int64_t{1} << 24))
    return torch::max_pool2d(x.to(torch::kFloat), {node.kernel[0], node.kernel[1]}, {node.stride[0], node.stride[1]},
                             {node.padding[0], node.padding[1]}, {node.dilation[0], node.dilation[1]}, node.ceil_mode)
        .to(torch::kInt);
  return windows(x, node, std::numeric_limits<int32_t>::min(), node.kernel).amax({4, 5});
}

// Either form of Requant (see IntegerNetwork.h); the threshold form counts
// with tensor ops.
Tensor requant(const std::vector<Tensor>& inputs, const IntegerNode& node) {
  if (!node.thresholds.defined()) return requant_fused(inputs, node);
  const int64_t dims = inputs[0].dim();
  Tensor t = along_channels(node.offset, dims).expand(inputs[0].sizes()).clone();
  for (size_t k = 0; k < inputs.size(); ++k)
    t.add_(inputs[k].to(torch::kLong).mul(along_channels(node.multipliers[k], dims)));
  std::vector<int64_t> shape(static_cast<size_t>(dims) + 1, 1);
  shape[1] = node.thresholds.size(0);
  shape.back() = node.thresholds.size(1);
  const Tensor count = t.unsqueeze(-1).ge(node.thresholds.reshape(shape)).sum(-1);
  return count.mul(node.threshold_gain).add(node.lo).to(torch::kInt);
}

Tensor dequant(const std::vector<Tensor>& inputs, const IntegerNode& node) {
  const int64_t dims = inputs[0].dim();
  Tensor y = along_channels(node.dequant_offset, dims).expand(inputs[0].sizes()).clone();
  for (size_t k = 0; k < inputs.size(); ++k)
    y.add_(inputs[k].to(torch::kDouble).mul(along_channels(node.dequant_scales[k], dims)));
  if (node.dequant_relu) y.clamp_min_(0.0);
  return y.to(torch::kFloat);
}

Tensor quantize(const Tensor& x, const IntegerNode& input) {
  return x.to(torch::kDouble).div(input.input_step).round().clamp(input.lo, input.hi).to(torch::kInt);
}

}  // namespace

const char* op_name(OpKind op) {
  switch (op) {
    case OpKind::Input: return "Input";
    case OpKind::Conv2d: return "Conv2d";
    case OpKind::Linear: return "Linear";
    case OpKind::Requant: return "Requant";
    case OpKind::MaxPool2d: return "MaxPool2d";
    case OpKind::SumPool2d: return "SumPool2d";
    case OpKind::Relu: return "Relu";
    case OpKind::Flatten: return "Flatten";
    case OpKind::Dequant: return "Dequant";
  }
  return "?";
}

torch::Tensor run_node(const IntegerNode& node, const std::vector<torch::Tensor>& in, const torch::Tensor& float_input,
                       ProductKernels kernels) {
  switch (node.op) {
    case OpKind::Input: return quantize(float_input, node);
    case OpKind::Conv2d:
    case OpKind::Linear: return product(in[0], node, kernels);
    case OpKind::Requant: return requant(in, node);
    case OpKind::MaxPool2d: return max_pool(in[0], node, kernels);
    case OpKind::SumPool2d: return windows(in[0], node, 0, node.kernel).sum({4, 5}).to(torch::kInt);
    case OpKind::Relu: return in[0].clamp_min(0);
    case OpKind::Flatten: return in[0].flatten(node.start_dim, node.end_dim);
    case OpKind::Dequant: return dequant(in, node);
  }
  TORCH_CHECK(false, "IntegerNetwork: node '", node.name, "' has an unknown kind");
}

std::vector<torch::Tensor> IntegerNetwork::run(const torch::Tensor& float_input, ProductKernels kernels,
                                               const NodeOutputHook& replace) const {
  TORCH_CHECK(!nodes.empty() && nodes.front().op == OpKind::Input, "IntegerNetwork: node 0 must be the Input");
  torch::NoGradGuard no_grad;
  std::vector<Tensor> values;
  values.reserve(nodes.size());
  for (const auto& node : nodes) {
    std::vector<Tensor> in;
    for (const int id : node.inputs) {
      TORCH_CHECK(id >= 0 && static_cast<size_t>(id) < values.size(), "IntegerNetwork: node '", node.name,
                  "' reads node ", id, " which is not before it");
      in.push_back(values[static_cast<size_t>(id)]);
    }
    values.push_back(run_node(node, in, float_input, kernels));
    if (replace) values.back() = replace(values.size() - 1, values.back());
  }
  return values;
}

torch::Tensor IntegerNetwork::forward(const torch::Tensor& float_input, ProductKernels kernels) const {
  return run(float_input, kernels).back();
}

torch::Tensor IntegerNetwork::quantize_input(const torch::Tensor& float_input) const {
  TORCH_CHECK(!nodes.empty() && nodes.front().op == OpKind::Input, "IntegerNetwork: node 0 must be the Input");
  return quantize(float_input, nodes.front()).to(torch::kDouble).mul(nodes.front().input_step).to(torch::kFloat);
}

}  // namespace quantlib::deploy

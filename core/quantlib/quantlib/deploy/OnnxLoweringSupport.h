#pragma once
// What the ONNX lowerings of every form share (OnnxExport.h): refusals that
// name the layer, broadcasting of per-channel parameters, pooling pads, the
// graph's typed inputs and outputs, and each node's shape from one dry run.
// Internal to the ONNX exporter, like OnnxGraphBuilder.h.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>
#include <torch/types.h>

#include "quantlib/deploy/IntegerNetwork.h"
#include "quantlib/ops/AlongChannels.h"

namespace quantlib::deploy::onnx_lowering {

// "layer 'conv1' (Conv2d, origin)".
std::string layer_text(const IntegerNode& node);
// quantlab::ConfigError "ONNX export: <layer>: <why>".
[[noreturn]] void unsupported(const IntegerNode& node, const std::string& why);

using quantlib::along_channels;

// Padding at the end of each spatial dim that torch's ceil_mode adds (the
// executor's rule), so ONNX can pool with explicit asymmetric pads instead.
std::array<int64_t, 2> ceil_mode_extra(const IntegerNode& node, const std::vector<int64_t>& input_shape,
                                       std::array<int64_t, 2> kernel);

// kernel_shape, strides, pads (begin h, w, end h, w), dilations.
std::vector<onnx::AttributeProto> window_attributes(const IntegerNode& node, std::array<int64_t, 2> kernel,
                                                    std::array<int64_t, 2> pad_begin,
                                                    std::array<int64_t, 2> pad_end);

// An offset o with v - o in 0..255 for every v in [lo, hi] and -o a uint8
// zero point, when [lo, hi] allows one (o = min(lo, 0)).
std::optional<int64_t> uint8_offset(int64_t lo, int64_t hi);
bool fits_int8(const torch::Tensor& weight);

// A graph input or output with a symbolic batch dimension "N".
void add_graph_value(onnx::ValueInfoProto& info, const std::string& name, onnx::TensorProto::DataType type,
                     const std::vector<int64_t>& shape);

// Every node's output shape for one sample of `input_shape` (without the batch dim).
std::vector<std::vector<int64_t>> node_shapes(const IntegerNetwork& network, const std::vector<int64_t>& input_shape);

}  // namespace quantlib::deploy::onnx_lowering

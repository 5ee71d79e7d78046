#pragma once
// Hand-built integer networks (quantlib/deploy/IntegerNetwork.h) that reach
// every node kind and every lowering path, for the executors' and exporters'
// tests, and the node builders they are made of.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlab::test {

using quantlib::deploy::IntegerNetwork;
using quantlib::deploy::IntegerNode;
using quantlib::deploy::OpKind;
using quantlib::deploy::Rounding;

torch::Tensor doubles(std::vector<double> values);
torch::Tensor longs(const torch::Tensor& values);
// Uniform integers in [lo, hi] of `type`.
torch::Tensor random_int(int64_t lo, int64_t hi, std::vector<int64_t> shape, torch::ScalarType type);

IntegerNode input_node(int64_t lo, int64_t hi, double step);
// Accumulator range: the whole int32 range.
IntegerNode conv_node(const std::string& name, int input, torch::Tensor weight, int64_t padding);
IntegerNode linear_node(const std::string& name, int input, torch::Tensor weight);
IntegerNode requant_node(const std::string& name, std::vector<int> inputs, std::vector<torch::Tensor> multipliers,
                         torch::Tensor offset, int64_t shift, Rounding rounding, int64_t lo, int64_t hi);
IntegerNode pool_node(const std::string& name, OpKind op, int input, const IntegerNode& source, int64_t kernel,
                      int64_t stride, int64_t padding, bool ceil_mode);
// Relu or Flatten.
IntegerNode simple_node(const std::string& name, OpKind op, int input, const IntegerNode& source);
IntegerNode dequant_node(std::vector<int> inputs, std::vector<torch::Tensor> scales, torch::Tensor offset, bool relu);

// Scales are powers of two and the requant offsets multiples of their
// multipliers, so that ONNX's qdq/qop forms' float32 scales and int32 biases
// are exact too (OnnxExport.h says where those forms may round differently).
// Every kind on its 8-bit path, for [N, 1, 7, 7] input: a conv on an input
// with an offset (padding must be its zero point), nearest and floor
// requantization with negative values, ceil-mode max and sum pooling, Relu,
// Flatten, a matrix product, per-channel Dequant. Random weights: seed first.
IntegerNetwork eight_bit_network();

// Operands wider than 8 bits and the rarer forms, for [N, 1, 6, 6] input:
// int32 weights and a 2001-level activation, a residual threshold
// requantization, Flatten from dim 2, a two-input Dequant with ReLU.
IntegerNetwork wide_network();

}  // namespace quantlab::test

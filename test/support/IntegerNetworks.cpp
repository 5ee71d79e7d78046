#include "support/IntegerNetworks.h"

#include <algorithm>
#include <utility>

#include <torch/torch.h>

namespace quantlab::test {

torch::Tensor doubles(std::vector<double> values) { return torch::tensor(values, torch::kDouble); }
torch::Tensor longs(const torch::Tensor& values) { return values.to(torch::kLong); }

torch::Tensor random_int(int64_t lo, int64_t hi, std::vector<int64_t> shape, torch::ScalarType type) {
  return torch::randint(lo, hi + 1, shape, torch::kLong).to(type);
}

IntegerNode input_node(int64_t lo, int64_t hi, double step) {
  IntegerNode node;
  node.name = "input";
  node.op = OpKind::Input;
  node.lo = lo;
  node.hi = hi;
  node.input_step = step;
  node.scale = doubles({step});
  node.bits = 8;
  return node;
}

IntegerNode conv_node(const std::string& name, int input, torch::Tensor weight, int64_t padding) {
  IntegerNode node;
  node.name = name;
  node.op = OpKind::Conv2d;
  node.inputs = {input};
  node.weight = std::move(weight);
  node.weight_scale = doubles({0.01});
  node.padding = {padding, padding};
  node.lo = -(int64_t{1} << 31) + 1;
  node.hi = (int64_t{1} << 31) - 1;
  node.scale = doubles({0.001});
  return node;
}

IntegerNode linear_node(const std::string& name, int input, torch::Tensor weight) {
  IntegerNode node = conv_node(name, input, std::move(weight), 0);
  node.op = OpKind::Linear;
  return node;
}

IntegerNode requant_node(const std::string& name, std::vector<int> inputs, std::vector<torch::Tensor> multipliers,
                         torch::Tensor offset, int64_t shift, Rounding rounding, int64_t lo, int64_t hi) {
  IntegerNode node;
  node.name = name;
  node.op = OpKind::Requant;
  node.inputs = std::move(inputs);
  node.multipliers = std::move(multipliers);
  node.offset = std::move(offset);
  node.shift = shift;
  node.rounding = rounding;
  node.lo = lo;
  node.hi = hi;
  node.scale = doubles({0.0625});
  node.bits = 8;
  node.is_signed = lo < 0;
  return node;
}

IntegerNode pool_node(const std::string& name, OpKind op, int input, const IntegerNode& source, int64_t kernel,
                      int64_t stride, int64_t padding, bool ceil_mode) {
  IntegerNode node;
  node.name = name;
  node.op = op;
  node.inputs = {input};
  node.kernel = {kernel, kernel};
  node.stride = {stride, stride};
  node.padding = {padding, padding};
  node.ceil_mode = ceil_mode;
  node.lo = op == OpKind::SumPool2d ? source.lo * kernel * kernel : source.lo;
  node.hi = op == OpKind::SumPool2d ? source.hi * kernel * kernel : source.hi;
  node.scale = source.scale;
  return node;
}

IntegerNode simple_node(const std::string& name, OpKind op, int input, const IntegerNode& source) {
  IntegerNode node;
  node.name = name;
  node.op = op;
  node.inputs = {input};
  node.lo = op == OpKind::Relu ? std::max<int64_t>(source.lo, 0) : source.lo;
  node.hi = source.hi;
  node.scale = source.scale;
  return node;
}

IntegerNode dequant_node(std::vector<int> inputs, std::vector<torch::Tensor> scales, torch::Tensor offset,
                         bool relu) {
  IntegerNode node;
  node.name = "output";
  node.op = OpKind::Dequant;
  node.inputs = std::move(inputs);
  node.dequant_scales = std::move(scales);
  node.dequant_offset = std::move(offset);
  node.dequant_relu = relu;
  return node;
}

IntegerNetwork eight_bit_network() {
  IntegerNetwork network;
  auto& n = network.nodes;
  n.push_back(input_node(-3, 20, 0.125));                                                             // 0 [1,7,7]
  n.push_back(conv_node("conv1", 0, random_int(-128, 127, {4, 1, 3, 3}, torch::kChar), 1));       // 1 [4,7,7]
  n.push_back(requant_node("act1", {1}, {longs(doubles({9, 13, 17, 11}))}, longs(doubles({-3006, 507, 0, 9009})),
                           10, Rounding::Nearest, 0, 255));                                        // 2
  n.push_back(pool_node("pool1", OpKind::MaxPool2d, 2, n[2], 2, 2, 0, true));                     // 3 [4,4,4]
  n.push_back(simple_node("relu1", OpKind::Relu, 3, n[3]));                                        // 4
  n.push_back(pool_node("avg1", OpKind::SumPool2d, 4, n[4], 3, 2, 1, true));                      // 5 [4,2,2]
  n.push_back(requant_node("act2", {5}, {longs(doubles({7}))}, longs(doubles({-20000})), 5, Rounding::Floor,
                           -128, 127));                                                            // 6
  n.push_back(simple_node("flatten", OpKind::Flatten, 6, n[6]));                                   // 7
  const int64_t features = network.run(torch::zeros({1, 1, 7, 7})).back().numel();
  n.push_back(linear_node("fc", 7, random_int(-128, 127, {5, features}, torch::kChar)));          // 8
  n.push_back(dequant_node({8}, {doubles({0.001, 0.002, 0.0005, 0.001, 0.003})},
                           doubles({0.5, -0.25, 0, 1, -1}), false));                               // 9
  return network;
}

IntegerNetwork wide_network() {
  IntegerNetwork network;
  auto& n = network.nodes;
  n.push_back(input_node(-3, 20, 0.125));                                                             // 0 [1,6,6]
  n.push_back(conv_node("wide_conv", 0, random_int(-300, 300, {3, 1, 3, 3}, torch::kInt), 0));    // 1 [3,4,4]
  n.push_back(requant_node("wide_act", {1}, {longs(doubles({40, 50, 60}))}, longs(doubles({0, 100, -100})), 8,
                           Rounding::Nearest, -1000, 1000));                                       // 2
  n.push_back(conv_node("pointwise", 2, random_int(-128, 127, {3, 3, 1, 1}, torch::kChar), 0));   // 3
  IntegerNode ternary = requant_node("ternary", {2, 3}, {longs(doubles({3})), longs(doubles({1, 2, 1}))},
                                     longs(doubles({0})), 0, Rounding::Nearest, -1, 1);
  ternary.thresholds = longs(torch::tensor({{-60000, 60000}, {-20000, 20000}, {-40000, 0}}, torch::kLong));
  n.push_back(ternary);                                                                            // 4
  IntegerNode partial = simple_node("flatten_hw", OpKind::Flatten, 4, n[4]);
  partial.start_dim = 2;
  n.push_back(partial);                                                                            // 5 [3,16]
  n.push_back(simple_node("flatten_ternary", OpKind::Flatten, 5, n[5]));                           // 6 [48]
  n.push_back(linear_node("fc_ternary", 6, random_int(-128, 127, {4, 48}, torch::kChar)));        // 7
  n.push_back(simple_node("flatten_wide", OpKind::Flatten, 2, n[2]));                              // 8 [48]
  n.push_back(linear_node("fc_wide", 8, random_int(-128, 127, {4, 48}, torch::kChar)));           // 9
  n.push_back(dequant_node({7, 9}, {doubles({0.01}), doubles({0.0001, 0.0002, 0.0001, 0.0003})}, doubles({0.1}),
                           true));                                                                 // 10
  return network;
}

}  // namespace quantlab::test

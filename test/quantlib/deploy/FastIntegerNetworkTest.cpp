// The fast integer path (oneDNN int8 kernels, byte loops) against the exact
// executor it must reproduce bit for bit, node by node, on hand-built
// networks that reach every node kind, the channel split of large
// accumulators, and the layers it must leave to the exact executor.
#include <catch2/catch.hpp>

#include <algorithm>

#include <torch/torch.h>

#include "quantlib/deploy/FastIntegerNetwork.h"
#include "support/IntegerNetworks.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::test;
using quantlib::deploy::FastIntegerNetwork;

// Every node's output of both executors, compared (a failure names the node);
// the number of nodes whose values differ.
int64_t differing_nodes(const IntegerNetwork& network, const FastIntegerNetwork& fast, const torch::Tensor& x) {
  const auto exact = network.run(x);
  const auto fast_values = fast.run(x);
  REQUIRE(fast_values.size() == exact.size());
  int64_t differing = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    INFO("node " << i << " " << network.nodes[i].name);
    REQUIRE(fast_values[i].sizes() == exact[i].sizes());
    const bool equal = torch::equal(fast_values[i], exact[i]);
    CHECK(equal);
    differing += !equal;
  }
  // forward() pools before requantizing where that commutes, and runs large
  // batches in slices: its logits too.
  const bool logits_equal = torch::equal(fast.forward(x), exact.back());
  CHECK(logits_equal);
  return differing + !logits_equal;
}

std::vector<std::string> exact_layer_names(const FastIntegerNetwork& fast) {
  std::vector<std::string> names;
  for (const auto& layer : fast.exact_layers()) names.push_back(layer.name);
  return names;
}

bool kernels_here() {
  if (const auto& reason = FastIntegerNetwork::kernels_unavailable()) {
    WARN("oneDNN's int8 kernels are not used on this machine (" << *reason
                                                               << "): only the exact fallback is tested");
    return false;
  }
  return true;
}

// input [0, 255] -> conv (channels_in -> channels, 3x3) -> requant [0, 255]:
// bytes of a chosen range for the layers after it.
IntegerNetwork byte_stem(int64_t channels, int64_t offset) {
  IntegerNetwork network;
  auto& n = network.nodes;
  n.push_back(input_node(0, 255, 1.0 / 255));
  n.push_back(conv_node("stem", 0, random_int(-20, 20, {channels, 1, 3, 3}, torch::kChar), 1));
  n.push_back(requant_node("stem_act", {1}, {longs(torch::full({channels}, 3.0))},
                           longs(torch::full({channels}, static_cast<double>(offset))), 2, Rounding::Nearest, 0, 255));
  return network;
}

TEST_CASE("The fast integer path gives every node of an 8-bit network bit for bit, at any batch size",
          "[deploy][fast]") {
  torch::manual_seed(3);
  const IntegerNetwork network = eight_bit_network();
  const FastIntegerNetwork fast(network);
  INFO(fast.describe());
  if (kernels_here()) CHECK(fast.exact_layers().empty());
  for (const int64_t batch : {1, 9}) {
    // Inputs on both sides of every rounding boundary and of the clamp.
    const torch::Tensor x = torch::rand({batch, 1, 7, 7}) * 3.0 - 0.6;
    CHECK(differing_nodes(network, fast, x) == 0);
    CHECK(torch::equal(fast.forward(x), network.forward(x)));
  }
}

TEST_CASE("The fast integer path leaves wide operands to the exact executor, names them, and still agrees",
          "[deploy][fast]") {
  torch::manual_seed(5);
  const IntegerNetwork network = wide_network();
  const FastIntegerNetwork fast(network);
  const torch::Tensor x = torch::rand({5, 1, 6, 6}) * 3.0 - 0.6;
  CHECK(differing_nodes(network, fast, x) == 0);
  const auto names = exact_layer_names(fast);
  const auto has = [&](const std::string& name) { return std::count(names.begin(), names.end(), name) == 1; };
  CHECK(has("wide_conv"));
  CHECK(has("wide_act"));
  CHECK(has("flatten_hw"));
  if (kernels_here()) {
    const auto reason = [&](const std::string& name) {
      for (const auto& layer : fast.exact_layers())
        if (layer.name == name) return layer.reason;
      return std::string();
    };
    CHECK(reason("wide_conv") == "its integer weights need more than 8 bits");
    CHECK(reason("wide_act") == "its range [-1000, 1000] needs more than 8 bits");
    CHECK(reason("flatten_hw").find("start_dim 2") != std::string::npos);
    // The input is 8-bit: it stays on the fast path.
    CHECK_FALSE(has("input"));
    CHECK(fast.describe().find("wide_conv (Conv2d: its integer weights need more than 8 bits)") != std::string::npos);
  }
}

TEST_CASE("The fast integer path splits a layer's input channels where its accumulators can pass 2^24",
          "[deploy][fast]") {
  torch::manual_seed(7);
  // 128 channels of bytes near 255 into 3x3 weights near 127: sums near
  // 128 * 9 * 227 * 113 = 2.9e7 > 2^24, which float32 would round.
  IntegerNetwork network = byte_stem(128, 230 * 4);
  auto& n = network.nodes;
  n.push_back(conv_node("big", 2, random_int(100, 127, {8, 128, 3, 3}, torch::kChar), 0));  // 3
  n.push_back(requant_node("big_act", {3}, {longs(doubles({1}))}, longs(doubles({0})), 18, Rounding::Nearest, 0, 255));
  n.push_back(simple_node("flatten", OpKind::Flatten, 4, n[4]));
  n.push_back(linear_node("fc", 5, random_int(-128, 127, {3, 8 * 4 * 4}, torch::kChar)));
  n.push_back(dequant_node({6}, {doubles({0.001})}, doubles({0}), false));
  const FastIntegerNetwork fast(network);
  INFO(fast.describe());
  if (kernels_here()) CHECK(fast.exact_layers().empty());
  const torch::Tensor x = torch::rand({2, 1, 6, 6});
  const auto exact = network.run(x);
  // The accumulators do pass 2^24 with values float32 cannot hold.
  CHECK(exact[3].max().item<int64_t>() > (int64_t{1} << 24));
  CHECK(exact[3].remainder(2).ne(0).any().item<bool>());
  CHECK(differing_nodes(network, fast, x) == 0);
}

TEST_CASE("The fast integer path requantizes residual sums and thresholds, pools with padding and dilation on bytes",
          "[deploy][fast]") {
  torch::manual_seed(9);
  IntegerNetwork network = byte_stem(6, 200);
  auto& n = network.nodes;
  n.push_back(conv_node("conv_b", 2, random_int(-128, 127, {6, 6, 3, 3}, torch::kChar), 1));  // 3 accumulators
  // A residual sum of the accumulators and the stem's bytes, signed output.
  n.push_back(requant_node("add", {3, 2}, {longs(doubles({5, 7, 9, 11, 13, 15})), longs(doubles({256}))},
                           longs(doubles({-7000})), 9, Rounding::Nearest, -128, 127));          // 4 [6,8,8]
  IntegerNode pool = pool_node("pool", OpKind::MaxPool2d, 4, n[4], 3, 2, 1, true);
  pool.dilation = {2, 2};
  n.push_back(pool);                                                                            // 5
  n.push_back(simple_node("relu", OpKind::Relu, 5, n[5]));                                      // 6
  n.push_back(conv_node("conv_c", 6, random_int(-128, 127, {3, 6, 1, 1}, torch::kChar), 0));   // 7
  // Ternary activations from the accumulators (threshold form).
  IntegerNode ternary = requant_node("ternary", {7}, {longs(doubles({1}))}, longs(doubles({0})), 0,
                                     Rounding::Nearest, -1, 1);
  ternary.thresholds = longs(torch::tensor({{-3000, 3000}, {-1000, 1000}, {-2000, 0}}, torch::kLong));
  n.push_back(ternary);                                                                         // 8
  n.push_back(pool_node("avg", OpKind::SumPool2d, 8, n[8], 2, 2, 1, false));                   // 9
  n.push_back(simple_node("flatten", OpKind::Flatten, 9, n[9]));                                // 10
  n.push_back(dequant_node({10}, {doubles({0.5})}, doubles({0.25}), false));                    // 11
  const FastIntegerNetwork fast(network);
  INFO(fast.describe());
  if (kernels_here()) CHECK(fast.exact_layers().empty());
  const torch::Tensor x = torch::rand({4, 1, 8, 8});
  const auto exact = network.run(x);
  // Every path is exercised: signed sums on both sides of zero, all three ternary levels.
  CHECK(exact[4].min().item<int64_t>() < 0);
  CHECK(exact[4].max().item<int64_t>() > 0);
  CHECK(std::get<0>(torch::_unique(exact[8])).numel() == 3);
  CHECK(differing_nodes(network, fast, x) == 0);
}

TEST_CASE("The fast integer path pools before requantizing only where the requantization never decreases",
          "[deploy][fast]") {
  torch::manual_seed(13);
  for (const double sign : {1.0, -1.0}) {
    INFO("multiplier sign " << sign);
    IntegerNetwork network;
    auto& n = network.nodes;
    n.push_back(input_node(0, 255, 1.0 / 255));
    n.push_back(conv_node("conv", 0, random_int(-60, 60, {4, 1, 3, 3}, torch::kChar), 1));
    n.push_back(requant_node("act", {1}, {longs(doubles({3 * sign, 5 * sign, 2 * sign, 4 * sign}))},
                             longs(doubles({100, -200, 300, 0})), 6, Rounding::Nearest, -128, 127));
    n.push_back(pool_node("pool", OpKind::MaxPool2d, 2, n[2], 3, 2, 1, false));
    n.push_back(simple_node("flatten", OpKind::Flatten, 3, n[3]));
    n.push_back(dequant_node({4}, {doubles({0.25})}, doubles({0}), false));
    const FastIntegerNetwork fast(network);
    // 20 samples: the first 8 alone, then the rest in slices.
    const torch::Tensor x = torch::rand({20, 1, 9, 9});
    CHECK(differing_nodes(network, fast, x) == 0);
    // Both signs reach the clamp's two ends, so the order of pool and clamp matters.
    const auto values = network.run(x);
    CHECK(values[2].min().item<int64_t>() == -128);
    CHECK(values[2].max().item<int64_t>() == 127);
  }
}

TEST_CASE("The fast integer path takes values of any rank, channels along dim 1, and an empty batch",
          "[deploy][fast]") {
  torch::manual_seed(17);
  IntegerNetwork network;
  auto& n = network.nodes;
  n.push_back(input_node(-20, 30, 0.1));  // [N, 2, 5]
  n.push_back(requant_node("scale", {0}, {longs(doubles({3, 7}))}, longs(doubles({5, -40})), 2, Rounding::Nearest,
                           -16, 15));
  n.push_back(simple_node("flatten", OpKind::Flatten, 1, n[1]));
  n.push_back(linear_node("fc", 2, random_int(-128, 127, {3, 10}, torch::kChar)));
  n.push_back(dequant_node({3}, {doubles({0.01})}, doubles({0}), false));
  const FastIntegerNetwork fast(network);
  INFO(fast.describe());
  if (kernels_here()) CHECK(fast.exact_layers().empty());
  const torch::Tensor x = torch::rand({11, 2, 5}) * 6.0 - 2.5;
  CHECK(differing_nodes(network, fast, x) == 0);
  // Per channel: the two channels' multipliers differ, so a channel mix-up shows.
  const auto values = network.run(x);
  CHECK(values[1].select(1, 0).ne(values[1].select(1, 1)).any().item<bool>());
  const torch::Tensor none = fast.forward(torch::zeros({0, 2, 5}));
  CHECK(none.sizes() == torch::IntArrayRef({0, 3}));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

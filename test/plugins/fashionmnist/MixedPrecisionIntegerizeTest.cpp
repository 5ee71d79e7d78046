// Per-layer mixes of bit-widths, as `qlhost select` and learned bit-widths
// make them: SimpleCNN quantized by a rules recipe whose every layer has its
// own weight bits (2, 3, 4, 8; LSQ per channel, uniform symmetric per tensor
// and per channel) and every ReLU its own activation bits (2, 4, 8; LSQ
// unsigned, PACT) integerizes, agrees with the fake-quantized network, runs on
// the fast integer path node for node, and exports to ONNX (integer form bit
// for bit in ONNX Runtime, QDQ form run).
#include <catch2/catch.hpp>

#include "plugins/fashionmnist/FashionMnistPlugin.h"
#include "manager/compare/NetworkCost.h"
#include "support/CalibratedNetwork.h"
#include "support/IntegerAgreement.h"

namespace QUANTLAB_TEST_FILE {
namespace {

struct Mix {
  const char* name;
  const char* rules;  // network.quantize.params.rules, one rule per layer
  const char* bits;   // as qlhost compare shows them
};

// conv1, conv2, fc1, fc2 and relu1, relu2, relu3 each at their own bits.
const Mix kMixes[] = {
    {"LSQ per-channel weights 8/2/3/4, LSQ unsigned activations 4/2/8",
     "[{select: {name: conv1}, weight: {algorithm: lsq, bits: 8, per_channel: true}},"
     " {select: {name: conv2}, weight: {algorithm: lsq, bits: 2, per_channel: true}},"
     " {select: {name: fc1}, weight: {algorithm: lsq, bits: 3, per_channel: true}},"
     " {select: {name: fc2}, weight: {algorithm: lsq, bits: 4, per_channel: true}},"
     " {select: {name: relu1}, output: {algorithm: lsq, bits: 4}},"
     " {select: {name: relu2}, output: {algorithm: lsq, bits: 2}},"
     " {select: {name: relu3}, output: {algorithm: lsq, bits: 8}}]",
     "W2/3/4/8 A2/4/8/32"},
    {"uniform symmetric weights 4/8/2/3 (per channel and per tensor), PACT activations 2/8/4",
     "[{select: {name: conv1}, weight: {algorithm: uniform, bits: 4, per_channel: true, init: max}},"
     " {select: {name: conv2}, weight: {algorithm: uniform, bits: 8, per_channel: false, init: max}},"
     " {select: {name: fc1}, weight: {algorithm: uniform, bits: 2, per_channel: true, init: max}},"
     " {select: {name: fc2}, weight: {algorithm: uniform, bits: 3, per_channel: false, init: max}},"
     " {select: {name: relu1}, replace: {algorithm: pact, bits: 2, alpha: 6.0}},"
     " {select: {name: relu2}, replace: {algorithm: pact, bits: 8, alpha: 6.0}},"
     " {select: {name: relu3}, replace: {algorithm: pact, bits: 4, alpha: 6.0}}]",
     "W2/3/4/8 A2/4/8/32"},
    {"algorithms and bits mixed per layer: uniform W8, LSQ W3, uniform W2, LSQ W4; PACT A8, LSQ A2, PACT A4",
     "[{select: {name: conv1}, weight: {algorithm: uniform, bits: 8, per_channel: true, init: max}},"
     " {select: {name: conv2}, weight: {algorithm: lsq, bits: 3, per_channel: true}},"
     " {select: {name: fc1}, weight: {algorithm: uniform, bits: 2, per_channel: false, init: max}},"
     " {select: {name: fc2}, weight: {algorithm: lsq, bits: 4, per_channel: true}},"
     " {select: {name: relu1}, replace: {algorithm: pact, bits: 8, alpha: 6.0}},"
     " {select: {name: relu2}, output: {algorithm: lsq, bits: 2}},"
     " {select: {name: relu3}, replace: {algorithm: pact, bits: 4, alpha: 6.0}}]",
     "W2/3/4/8 A2/4/8/32"},
};

TEST_CASE("SimpleCNN with per-layer mixed weight and activation bits integerizes, runs on the fast path and "
          "exports to ONNX",
          "[fashionmnist][deploy][mixed]") {
  const std::filesystem::path configs = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "configs/fashionmnist";
  for (const Mix& mix : kMixes) {
    INFO(mix.name);
    const auto topology = fashionmnist::test::topology("SimpleCNN");
    const std::vector<std::string> overrides{std::string("network.quantize.params.rules=") + mix.rules};
    // The recipe made the mix it says: every layer at its own bits.
    const auto built = quantlab::test::calibrated_network(*topology, configs / "SimpleCNN.pact-w8a8.yaml",
                                                          {2, 1, 28, 28}, overrides, 1);
    const auto summary = quantlib::graph::NetworkSummary::of(*built.network, quantlab::test::pixels({1, 1, 28, 28}));
    CHECK(quantlab::compare::bits_text(summary) == mix.bits);
    CHECK(quantlab::compare::precision_of(summary) == "mixed");

    const auto agreement = quantlab::test::integerize_config(*topology, configs / "SimpleCNN.pact-w8a8.yaml",
                                                             overrides, {16, 1, 28, 28});
    quantlab::test::check_integer_agreement(agreement);
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

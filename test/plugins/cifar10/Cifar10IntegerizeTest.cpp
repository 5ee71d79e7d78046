// The CIFAR-10 topologies quantized by their shipped recipes integerize, and
// their integer networks agree with the fake-quantized ones.
#include <catch2/catch.hpp>

#include "plugins/cifar10/Cifar10Plugin.h"
#include "quantlib/deploy/FastIntegerNetwork.h"
#include "support/IntegerAgreement.h"

namespace QUANTLAB_TEST_FILE {
namespace {

TEST_CASE("CIFAR ResNet-20 (both shortcuts) and VGG8 quantized by their recipes integerize, agree with the fake-quantized networks and export to ONNX",
          "[cifar10][deploy]") {
  const std::filesystem::path configs = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "configs/cifar10";
  struct Case {
    const char* topology;
    const char* config;
    std::string overrides;
  };
  for (const Case& c : {Case{"ResNet", "ResNet.pact-w8a8.yaml", "network.params.shortcut=A"},
                        Case{"ResNet", "ResNet.pact-w8a8.yaml", "network.params.shortcut=B"},
                        Case{"ResNet", "ResNet.pact-w4a4.yaml", "network.params.shortcut=A"},
                        Case{"VGG", "VGG.pact-w4a4.yaml", "network.params.width=0.25"}}) {
    INFO(c.config);
    const auto agreement = quantlab::test::integerize_config(*cifar10::test::topology(c.topology), configs / c.config,
                                                             {c.overrides}, {8, 3, 32, 32});
    CHECK(agreement.argmax_equal_where_exact == agreement.exact_samples);
    CHECK(agreement.requantized > 0);
    // Only the float32 rounding of the fake-quantized network's own sums may
    // flip a value, one that sits on a rounding boundary, by one step.
    UNSCOPED_INFO(agreement.requantized_differing << " of " << agreement.requantized << " requantized values differ");
    CHECK(agreement.requantized_unexplained == 0);
    CHECK(agreement.onnx_equal);
    CHECK(agreement.qdq_ran);
    UNSCOPED_INFO("QDQ form: argmax of " << agreement.qdq_argmax_equal << " of " << agreement.samples
                                         << " samples equal to the integer network's; "
                                         << agreement.qdq_within_one_step << " of the logits within one output step, worst "
                                         << agreement.qdq_worst_steps << " steps");
    // The fast integer path gives the same integers at every node, and runs
    // every convolution of these 8-bit-or-narrower networks on oneDNN's int8
    // kernels where they are exact (the classifier after global pooling reads
    // the pool's sums, wider than 8 bits: it may stay on the exact executor).
    UNSCOPED_INFO("fast path: " << agreement.fast_path);
    CHECK(agreement.fast_equal);
    if (!quantlib::deploy::FastIntegerNetwork::kernels_unavailable()) CHECK(agreement.fast_exact_convolutions == 0);
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

// The CIFAR-10 topologies quantized by their shipped recipes integerize, and
// their integer networks agree with the fake-quantized ones.
#include <catch2/catch.hpp>

#include "plugins/cifar10/Cifar10Plugin.h"
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
    quantlab::test::check_integer_agreement(agreement);
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

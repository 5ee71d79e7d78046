// The ImageNet topologies quantized by their shipped recipes integerize, and
// their integer networks agree with the fake-quantized ones.
#include <catch2/catch.hpp>

#include "plugins/imagenet/ImageNetPlugin.h"
#include "support/IntegerAgreement.h"

namespace QUANTLAB_TEST_FILE {
namespace {

TEST_CASE("ResNet-18 and MobileNetV2 quantized W8A8 integerize, agree with the fake-quantized networks and export to ONNX",
          "[imagenet][deploy]") {
  const std::filesystem::path configs = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "configs/imagenet";
  for (const auto& [topology, config] : {std::pair{"ResNet", "ResNet.pact-w8a8.yaml"},
                                         std::pair{"MobileNetV2", "MobileNetV2.pact-w8a8.yaml"}}) {
    INFO(config);
    const auto agreement = quantlab::test::integerize_config(*imagenet::test::topology(topology), configs / config,
                                                             {"network.params.classes=10"}, {8, 3, 64, 64});
    quantlab::test::check_integer_agreement(agreement);
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE

#pragma once
#include <cstdint>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace imagenet {

struct MobileNetV1Options {
  double width = 1.0;  // the paper's width multiplier alpha: every layer's channels scaled by it
  std::int64_t classes = 1000;

  // Reads network.params {width, classes}; refuses other keys.
  static MobileNetV1Options from(const quantlab::Params& params);
};

// MobileNetV1 (Howard et al. 2017): a 3x3/2 conv to 32 channels, 13
// depthwise-separable blocks (3x3 depthwise conv, 1x1 pointwise conv, each
// followed by batch-norm and ReLU) to 1024 channels at 1/32 of the input side,
// global average pool, fc. Layers: features.0.{conv,bn,relu};
// features.<i>.{dw_conv,dw_bn,dw_relu,pw_conv,pw_bn,pw_relu} for i = 1..13;
// avgpool; fc. At width 1.0 and 1000 classes: 4,231,976 parameters.
// Channels at width alpha: int(c * alpha), at least 8.
class MobileNetV1 : public quantlab::Network {
 public:
  explicit MobileNetV1(const MobileNetV1Options& options);
  torch::Tensor forward(torch::Tensor input) override;
};

}  // namespace imagenet

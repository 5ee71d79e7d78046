#pragma once
#include <cstdint>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace imagenet {

struct MobileNetV2Options {
  double width = 1.0;  // width multiplier
  std::int64_t classes = 1000;
  double dropout = 0.2;

  // Reads network.params {width, classes, dropout}; refuses other keys.
  static MobileNetV2Options from(const quantlab::Params& params);
};

// MobileNetV2 (Sandler et al. 2018) as torchvision builds it: features.0 a
// 3x3/2 conv-BN-ReLU6 to 32 channels, features.1..17 inverted residual
// blocks (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2)
// (6,96,3,1) (6,160,3,2) (6,320,1,1), features.18 a 1x1 conv-BN-ReLU6 to
// 1280, then avgpool, dropout, fc. Channels at width w: c * w rounded to a
// multiple of 8 (never down by more than 10%); the last conv keeps 1280 for
// w < 1. At width 1.0 and 1000 classes: 3,504,872 parameters.
class MobileNetV2 : public quantlab::Network {
 public:
  explicit MobileNetV2(const MobileNetV2Options& options);
  torch::Tensor forward(torch::Tensor input) override;
};

}  // namespace imagenet

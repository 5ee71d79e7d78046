#pragma once
#include <cstdint>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace imagenet {

struct ResNetOptions {
  std::int64_t depth = 18;     // 18 or 34 (basic blocks); 50, 101 or 152 (bottlenecks)
  std::int64_t classes = 1000;
  std::int64_t width = 64;     // channels of layer1's 3x3 convs; layer k has width * 2^(k-1)

  // Reads network.params {depth, classes, width}; refuses other keys.
  static ResNetOptions from(const quantlab::Params& params);
};

// ResNet (He et al. 2016) in torchvision's layout and parameter names:
// conv1 (7x7/2) bn1 relu maxpool (3x3/2), layer1..layer4 (Sequentials of
// blocks "0", "1", ...; the first block of layer2..4 halves the resolution),
// avgpool (global), fc. At width 64 and 1000 classes the parameter counts are
// torchvision's: 11,689,512 (18), 21,797,672 (34), 25,557,032 (50),
// 44,549,160 (101), 60,192,808 (152). Any input side >= 32 works (the global
// pool absorbs the rest). Weights start as torchvision's (WeightInit.h).
class ResNet : public quantlab::Network {
 public:
  explicit ResNet(const ResNetOptions& options);
  torch::Tensor forward(torch::Tensor input) override;
};

}  // namespace imagenet

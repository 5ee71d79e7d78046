#pragma once
#include <cstdint>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace imagenet {

struct VggOptions {
  std::int64_t depth = 16;  // 11, 13, 16 or 19 weight layers (configurations A, B, D, E)
  bool batch_norm = false;
  std::int64_t classes = 1000;
  double dropout = 0.5;

  // Reads network.params {depth, batch_norm, classes, dropout}; refuses other keys.
  static VggOptions from(const quantlab::Params& params);
};

// VGG (Simonyan and Zisserman 2015) in torchvision's layout and parameter
// names: `features`, a Sequential of 3x3 convs (with bias), optional
// batch-norms, ReLUs and 2x2 max-pools numbered "0", "1", ... as torchvision
// numbers them; avgpool (adaptive, to 7x7); `classifier` "0" fc 25088->4096,
// "1" ReLU, "2" dropout, "3" fc 4096->4096, "4" ReLU, "5" dropout, "6" fc to
// the classes. VGG16: 138,357,544 parameters; VGG16-BN: 138,365,992.
class Vgg : public quantlab::Network {
 public:
  explicit Vgg(const VggOptions& options);
  torch::Tensor forward(torch::Tensor input) override;
};

}  // namespace imagenet

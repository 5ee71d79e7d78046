#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/Network.h"
#include "quantlab/Params.h"

namespace cifar10 {

struct VggOptions {
  std::int64_t variant = 8;  // 8 or 9 weight layers
  double width = 1.0;        // multiplies every channel count (the successor's "capacity")

  // Reads network.params {variant: 8 | 9, width}; refuses other keys.
  static VggOptions from(const quantlab::Params& params);
};

// The small VGGs that the original QuantLab's successor (pulp-platform
// quantlab, systems/CIFAR10/VGG) trains on CIFAR-10, with batch norm after
// every conv and hidden linear layer. Input [N, 3, 32, 32], output [N, 10];
// channel counts below are for width 1.
//   VGG8: conv 128 | M | conv 256, conv 256 | M | conv 512, conv 512 | M
//   VGG9: conv 128, conv 128 | M | conv 256, conv 256 | M | conv 512, conv 512 | M
// then the classifier: linear 512*4*4 -> 1024 -> 1024 -> 10. Every conv is
// 3x3 with padding 1, no bias, then batch norm and ReLU; M is a 2x2 max-pool.
// The hidden linear layers have no bias and are followed by BatchNorm1d and
// ReLU (the successor's batch-norm classifier, which drops dropout).
// Named layers, called by name: conv<i> (i = 1 .. 5 or 6), fc1, fc2, fc3 in
// order, bn<j> and relu<j> after the j-th weight layer (j = 1 .. 7 or 8, over
// convs then fc1, fc2), pool1 .. pool3.
class Vgg : public quantlab::Network {
 public:
  explicit Vgg(const VggOptions& options);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  // The forward order of layer names.
  std::vector<std::string> order_;
};

}  // namespace cifar10

#pragma once
#include <functional>
#include <memory>
#include <string>

#include "quantlab/Topology.h"

namespace fashionmnist {

// Mean and standard deviation of Fashion-MNIST's training pixels in [0, 1].
inline constexpr double kPixelMean = 0.2860;
inline constexpr double kPixelStd = 0.3530;

// A Fashion-MNIST topology: all share the pre-processing (augmentation and
// normalisation) and differ in the network they build and their default
// configuration, configs/fashionmnist/<name>.yaml embedded at build time.
class FashionMnistTopology : public quantlab::BasicTopology {
 public:
  FashionMnistTopology(const std::string& name, quantlab::NetworkFactory factory);

  // input: float [N, 1, 28, 28] in [0, 1]. With augment, each sample is
  // flipped left-right with probability 1/2; then every pixel is normalised.
  quantlab::Batch preprocess(quantlab::Batch batch, bool augment,
                             torch::Generator& generator) const override;
  std::vector<std::int64_t> input_shape() const override { return {1, 28, 28}; }
};

}  // namespace fashionmnist

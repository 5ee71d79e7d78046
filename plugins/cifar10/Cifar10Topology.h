#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/Topology.h"

namespace cifar10 {

// Per-channel (R, G, B) mean and standard deviation of CIFAR-10's training
// pixels in [0, 1].
inline const std::vector<double> kChannelMean{0.4914, 0.4822, 0.4465};
inline const std::vector<double> kChannelStd{0.2470, 0.2435, 0.2616};
// The standard CIFAR augmentation (He et al. 2016): pad 4, random 32x32 crop.
inline constexpr std::int64_t kCropPadding = 4;

// A CIFAR-10 topology: all share the pre-processing and differ in the network
// they build and their default configuration, configs/cifar10/<name>.yaml
// embedded at build time.
class Cifar10Topology : public quantlab::BasicTopology {
 public:
  Cifar10Topology(const std::string& name, quantlab::NetworkFactory factory);

  // input: uint8 [N, 3, 32, 32] (or float in [0, 1]). Scaled to [0, 1]; with
  // augment each sample is flipped left-right with probability 1/2 and
  // cropped back to 32x32 from a zero-padded 40x40 at a random offset; then
  // each channel is normalised with kChannelMean / kChannelStd.
  quantlab::Batch preprocess(quantlab::Batch batch, bool augment, torch::Generator& generator) const override;
  std::vector<std::int64_t> input_shape() const override { return {3, 32, 32}; }
};

}  // namespace cifar10

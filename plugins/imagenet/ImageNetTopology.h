#pragma once
#include <cstdint>
#include <string>

#include "quantlab/Topology.h"

namespace imagenet {

// The standard ImageNet input: training crops and evaluation crops are
// kCropSize x kCropSize; evaluation first resizes the short side to kResizeSize.
inline constexpr std::int64_t kCropSize = 224;
inline constexpr std::int64_t kResizeSize = 256;

// An ImageNet topology: all share the per-sample pre-processing and differ in
// the network they build and their default configuration,
// configs/imagenet/<name>.yaml embedded at build time.
class ImageNetTopology : public quantlab::BasicTopology {
 public:
  ImageNetTopology(const std::string& name, quantlab::NetworkFactory factory);

  // sample.input: an encoded JPEG or PNG file (uint8 [n]). With augment:
  // random-resized-crop (scale 0.08-1, ratio 3/4-4/3) to 224 x 224 and a
  // mirror with probability 1/2, both drawn from `seed`; without: resize the
  // short side to 256 and take the central 224 x 224. Then RGB in [0, 1]
  // normalized by ImageNet's mean (0.485, 0.456, 0.406) and std (0.229,
  // 0.224, 0.225). Returns float [3, 224, 224]; a file that does not decode
  // is a DataError.
  quantlab::Sample preprocess_sample(quantlab::Sample sample, bool augment, std::uint64_t seed) const override;
  std::vector<std::int64_t> input_shape() const override { return {3, kCropSize, kCropSize}; }
};

}  // namespace imagenet

#pragma once
#include <filesystem>
#include <memory>
#include <vector>

#include "quantlab/Problem.h"

namespace imagenet {

// ILSVRC-2012 classification (or any data set in its layout): the problem's
// data folder holds train/<class>/<image> and val/<class>/<image>, the class
// folders named by WordNet id (n01440764, ...) with the same names in both
// splits; classes are numbered by their sorted folder names, as torchvision's
// ImageFolder numbers them. The test partition is ImageNet's val split.
class ImageNetProblem : public quantlab::Problem {
 public:
  // A DataError names the folder when a split is missing, holds no class
  // folders or an empty one, or when val's classes are not train's.
  std::shared_ptr<quantlab::Dataset> dataset(quantlab::Partition partition,
                                             const std::filesystem::path& data_dir) const override;
  // Top-1 and top-5 error in percent.
  std::unique_ptr<quantlab::Meter> meter() const override;
  // ResNet, MobileNetV1, MobileNetV2, VGG.
  std::vector<std::shared_ptr<quantlab::Topology>> topologies() const override;
};

}  // namespace imagenet

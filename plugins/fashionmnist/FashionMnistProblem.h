#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "quantlab/Problem.h"

namespace fashionmnist {

// Where Debian's fashion-mnist package puts the data set; used when the
// problem's data folder does not hold it.
inline const std::filesystem::path kDefaultDataDir = "/usr/share/datasets/fashion-mnist";

// The images' side in pixels and the number of classes.
inline constexpr std::int64_t kImageSide = 28;
inline constexpr std::int64_t kClasses = 10;

// Fashion-MNIST: 28x28 grey images of clothing in 10 classes, 60000 for
// training and 10000 for testing, read from the IDX files (plain or .gz).
class FashionMnistProblem : public quantlab::Problem {
 public:
  // Takes the images and labels from data_dir when it holds them, else from
  // kDefaultDataDir. Inputs float32 [N, 1, 28, 28] in [0, 1], targets int64 [N].
  std::shared_ptr<quantlab::Dataset> dataset(quantlab::Partition partition,
                                             const std::filesystem::path& data_dir) const override;
  std::unique_ptr<quantlab::Meter> meter() const override;
  // SimpleCNN, MLP and BinaryCNN.
  std::vector<std::shared_ptr<quantlab::Topology>> topologies() const override;
};

}  // namespace fashionmnist

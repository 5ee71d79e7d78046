#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/Problem.h"

namespace cifar10 {

// The folder cifar-10-binary.tar.gz unpacks to; accepted inside the data
// folder when the batch files are not directly in it.
inline const std::string kArchiveFolder = "cifar-10-batches-bin";

// CIFAR-10: 32x32 colour images in 10 classes, 50000 for training
// (data_batch_1..5.bin) and 10000 for testing (test_batch.bin), read from the
// binary version of the data set (see CifarBinary.h).
class Cifar10Problem : public quantlab::Problem {
 public:
  // Reads the partition's files from data_dir, or from
  // data_dir/cifar-10-batches-bin when data_dir holds none of them. Inputs
  // uint8 [N, 3, 32, 32] as stored (the topology's preprocess scales them),
  // targets int64 [N]. Every file must be there and whole: a missing or
  // damaged one is a DataError naming it.
  std::shared_ptr<quantlab::Dataset> dataset(quantlab::Partition partition,
                                             const std::filesystem::path& data_dir) const override;
  std::unique_ptr<quantlab::Meter> meter() const override;
  // ResNet and VGG.
  std::vector<std::shared_ptr<quantlab::Topology>> topologies() const override;
};

}  // namespace cifar10

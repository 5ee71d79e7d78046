#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

namespace quantlab {

// A batch as it travels from a data set through pre-processing to the network
// (input) and the meter (target).
struct Batch {
  torch::Tensor input;
  torch::Tensor target;
};

// A finite, indexable data set. The host decides which samples form a batch
// (sampler, folds, shards); the data set only fetches them.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::int64_t size() const = 0;
  // The samples at these indices, stacked along dimension 0.
  virtual Batch get(const std::vector<std::int64_t>& indices) const = 0;
  // One line for the log: what was loaded from where.
  virtual std::string describe() const = 0;
};

// One sample of a data set read one sample at a time (SampleDataset): the
// input as stored (a file's encoded bytes, a decoded image), its target (a
// 0-dim tensor) and where it came from, for messages about a bad sample.
struct Sample {
  torch::Tensor input;
  torch::Tensor target;
  std::string source;
};

// A data set of files, read one sample at a time. The data pipeline
// (manager/data/Batcher) reads samples in its worker threads, runs the
// topology's per-sample pre-processing on each (decode, crop, resize, flip,
// normalize) and stacks them into a batch, so samples may differ in shape as
// stored. sample() throws DataError naming the file when it cannot be read.
class SampleDataset : public Dataset {
 public:
  virtual Sample sample(std::int64_t index) const = 0;
  // The samples as stored, stacked: they must share one shape. The pipeline
  // calls sample() instead.
  Batch get(const std::vector<std::int64_t>& indices) const override;
};

// A data set held in two tensors (inputs, targets) with samples along dim 0.
class TensorDataset : public Dataset {
 public:
  TensorDataset(torch::Tensor inputs, torch::Tensor targets, std::string description);
  std::int64_t size() const override;
  Batch get(const std::vector<std::int64_t>& indices) const override;
  std::string describe() const override { return description_; }

 private:
  torch::Tensor inputs_;
  torch::Tensor targets_;
  std::string description_;
};

}  // namespace quantlab

#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "quantlab/Problem.h"

namespace @namespace@ {

// The shape of the synthetic data set. Replace with your data's.
inline constexpr std::int64_t kFeatures = 16;
inline constexpr std::int64_t kClasses = 4;

// The @PROBLEM@ problem. As scaffolded it trains out of the box on a synthetic
// data set: kClasses well-separated Gaussian clouds of kFeatures-dimensional
// vectors, the same for every run (fixed seeds), 4096 training and 1024 test
// samples. Replace dataset() with your own data, meter() with your metric and
// topologies() with your networks.
class @Problem@Problem : public quantlab::Problem {
 public:
  // Inputs float32 [N, kFeatures], targets int64 [N] in [0, kClasses).
  std::shared_ptr<quantlab::Dataset> dataset(quantlab::Partition partition,
                                             const std::filesystem::path& data_dir) const override;
  // Classification error in percent.
  std::unique_ptr<quantlab::Meter> meter() const override;
  // MLP.
  std::vector<std::shared_ptr<quantlab::Topology>> topologies() const override;
};

}  // namespace @namespace@

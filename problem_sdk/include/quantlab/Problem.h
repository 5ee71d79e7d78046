#pragma once
// A problem: a data set, its metric (Meter) and the topologies that solve it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/Dataset.h"
#include "quantlab/Meter.h"
#include "quantlab/Topology.h"

namespace quantlab {

enum class Partition { train, test };

class Problem {
 public:
  virtual ~Problem() = default;
  // data_dir is the problem's data folder (problems/NAME/data in the home).
  // Throws DataError naming the file when data is missing or damaged.
  virtual std::shared_ptr<Dataset> dataset(Partition partition,
                                           const std::filesystem::path& data_dir) const = 0;
  virtual std::unique_ptr<Meter> meter() const = 0;
  virtual std::vector<std::shared_ptr<Topology>> topologies() const = 0;
};

}  // namespace quantlab

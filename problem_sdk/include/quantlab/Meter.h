#pragma once
// A Meter turns predictions into the problem's metrics. It keeps only additive
// sufficient statistics (sums and counts) so the host can all-reduce them
// across ranks; plugins never see MPI.
#include <map>
#include <string>

#include <torch/types.h>

namespace quantlab {

class Meter {
 public:
  virtual ~Meter() = default;
  virtual void reset() = 0;
  // prediction: the topology's post-processed output; target: the batch target.
  virtual void add(const torch::Tensor& prediction, const torch::Tensor& target) = 0;
  // The additive statistics, a 1-D float64 tensor, summed element-wise across ranks.
  virtual torch::Tensor statistics() const = 0;
  // Metrics computed from (possibly all-reduced) statistics.
  virtual std::map<std::string, double> metrics(const torch::Tensor& statistics) const = 0;
  // The main metric (what `train_metric`/`valid_metric` report) and its direction.
  virtual std::string main_metric() const = 0;
  virtual bool higher_is_better() const = 0;
};

}  // namespace quantlab

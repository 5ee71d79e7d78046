#pragma once
// A topology is what the original called a library: one network family with
// its pre-/post-processing, optional loss and quantization recipes.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlab/Dataset.h"
#include "quantlab/Network.h"
#include "quantlab/Params.h"
#include "quantlib/algorithms/Controller.h"

namespace quantlab {

// loss(output, target) -> scalar, averaged over the batch.
using Loss = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;

class Topology {
 public:
  virtual ~Topology() = default;
  virtual std::string name() const = 0;
  // The default experiment configuration (YAML text), used without --config.
  virtual std::string default_config() const = 0;
  // Builds the network from `network.params`.
  virtual std::shared_ptr<Network> network(const Params& params) const = 0;
  // Per-sample pre-processing of a SampleDataset's samples (decode, crop,
  // resize, flip, normalize), run in the data pipeline's worker threads before
  // a batch is stacked, so it must be safe to call from several threads at
  // once. Its output inputs must share one shape. `augment` is as for
  // preprocess; random choices must come from `seed` (drawn from the
  // experiment's seed, the epoch and the sample's place), so batches are the
  // same whatever the number of workers. Throws DataError for a sample it
  // cannot read (a corrupt file); the pipeline adds the sample's source.
  virtual Sample preprocess_sample(Sample sample, bool /*augment*/, std::uint64_t /*seed*/) const {
    return sample;
  }
  // Per-batch pre-processing, also run in the pipeline's workers. `augment` is
  // true only for training batches of a config with data.augment; random
  // choices must come from `generator` (seeded per batch).
  virtual Batch preprocess(Batch batch, bool /*augment*/, torch::Generator& /*generator*/) const {
    return batch;
  }
  // One sample's shape as the network takes it, after pre-processing (e.g.
  // {3, 224, 224}); empty when unknown. `qlhost summary` and `compare` use it
  // to measure a network when the data set is not on this machine.
  virtual std::vector<std::int64_t> input_shape() const { return {}; }
  // Network output -> what the Meter consumes.
  virtual torch::Tensor postprocess(const torch::Tensor& output) const { return output; }
  // A network-specific loss; nullptr means training.loss_function decides.
  virtual Loss loss(const Params& /*params*/) const { return nullptr; }

  // Named quantization recipes. A recipe edits the network as
  // `network.quantize` says and returns the controllers that
  // `training.quantize` configures.
  virtual std::vector<std::string> recipes() const { return {}; }
  virtual quantlib::Controllers apply_recipe(const std::string& recipe, Network& network,
                                             const Params& network_quantize,
                                             const Params& training_quantize) const;
};

using NetworkFactory = std::function<std::shared_ptr<Network>(const Params&)>;

// A topology made of a name, its default configuration and a network
// factory. Problems derive from it to add pre-processing, a loss or recipes.
class BasicTopology : public Topology {
 public:
  BasicTopology(std::string name, std::string default_config, NetworkFactory factory);
  std::string name() const override { return name_; }
  std::string default_config() const override { return default_config_; }
  std::shared_ptr<Network> network(const Params& params) const override { return factory_(params); }

 private:
  std::string name_;
  std::string default_config_;
  NetworkFactory factory_;
};

}  // namespace quantlab

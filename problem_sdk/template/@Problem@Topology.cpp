#include "@Problem@Topology.h"

#include <torch/torch.h>

#include "DefaultConfigs.h"

namespace @namespace@ {

@Problem@Topology::@Problem@Topology(const std::string& name, quantlab::NetworkFactory factory)
    : BasicTopology(name, embedded_config(name), std::move(factory)) {}

quantlab::Batch @Problem@Topology::preprocess(quantlab::Batch batch, bool, torch::Generator&) const {
  return batch;
}

}  // namespace @namespace@

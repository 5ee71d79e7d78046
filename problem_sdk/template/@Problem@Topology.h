#pragma once
#include <functional>
#include <memory>
#include <string>

#include "quantlab/Topology.h"

namespace @namespace@ {

// A @PROBLEM@ topology: a network factory and its default configuration,
// configs/@PROBLEM@/<name>.yaml embedded at build time. All topologies of a
// problem usually share their pre-processing, so it lives here.
class @Problem@Topology : public quantlab::BasicTopology {
 public:
  // Throws PluginError when no configs/@PROBLEM@/<name>.yaml was embedded.
  @Problem@Topology(const std::string& name, quantlab::NetworkFactory factory);

  // The synthetic inputs need none; REPLACE with your normalisation and, when
  // augment is true, your augmentation (random choices from generator).
  quantlab::Batch preprocess(quantlab::Batch batch, bool augment,
                             torch::Generator& generator) const override;
  // EXTEND: override recipes() and apply_recipe() to offer quantization
  // recipes (network.quantize.recipe) that edit the network with quantlib.
};

}  // namespace @namespace@

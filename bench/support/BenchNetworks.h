#pragma once
// The networks the inference benches time, built fresh: speed does not
// depend on trained weights, so a config's network is built, its batch norms
// and quantizer ranges set by forward passes in training mode on synthetic
// normalized 8-bit pixels, its controllers set for validation, and then
// integerized as qlhost integerizes a trained one.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "manager/plugin/PluginLoader.h"
#include "manager/train/NetworkBuilder.h"
#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlab::bench {

// Normalized 8-bit pixels of `shape`.
torch::Tensor pixels(const std::vector<std::int64_t>& shape);

// The network configs/<config> builds (network.pretrained cleared, then
// `overrides` applied), calibrated on `calibration_shape` batches, in eval mode.
BuiltNetwork calibrated_network(const Topology& topology, const std::filesystem::path& config,
                                const std::vector<std::int64_t>& calibration_shape,
                                const std::vector<std::string>& overrides = {});

// The integer network of a calibrated quantized network.
quantlib::deploy::IntegerNetwork integer_network(Network& network, const std::vector<std::int64_t>& calibration_shape,
                                                 const std::string& name);

}  // namespace quantlab::bench

#pragma once
// A network built fresh from a shipped config and calibrated without
// training, for the tests that integerize the plugins' networks and for the
// inference benches (speed does not depend on trained weights): its batch
// norms and quantizer ranges set by forward passes in training mode on
// synthetic normalized 8-bit pixels, its controllers set for validation.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "manager/train/NetworkBuilder.h"

namespace quantlab::test {

// Normalized 8-bit pixels of `shape`.
torch::Tensor pixels(const std::vector<std::int64_t>& shape);

// The network `config` builds (network.pretrained cleared, then `overrides`
// applied), from seed 5, after `forwards` training-mode forwards on
// `calibration_shape` pixels and every controller's validation step, in eval mode.
BuiltNetwork calibrated_network(const Topology& topology, const std::filesystem::path& config,
                                const std::vector<std::int64_t>& calibration_shape,
                                const std::vector<std::string>& overrides = {}, int forwards = 30);

}  // namespace quantlab::test

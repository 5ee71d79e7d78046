#pragma once
// What an experiment's network costs at its bit-widths (model size, BOPs)
// and which bits it uses, measured the way `qlhost summary` measures it:
// build the config's network with its recipe and run one pre-processed test
// sample through NetworkSummary.
#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/types.h>

#include "manager/config/ExperimentConfig.h"
#include "quantlab/Dataset.h"
#include "quantlab/Problem.h"
#include "quantlab/Topology.h"
#include "quantlib/graph/NetworkSummary.h"

namespace quantlab::compare {

struct NetworkCost {
  std::int64_t size_bytes = 0;
  std::int64_t bops = 0;
  std::string bits;       // see bits_text
  std::string precision;  // see precision_of
  bool learned_bits = false;  // it learns its bit-widths: the cost is its experiment's own
};

// The first sample of `data` as `topology` feeds it to its network (no
// augmentation); DataError when the data set is empty.
torch::Tensor summary_sample(const Dataset& data, const Topology& topology);

// The sample a network is measured on: the first test sample of `problem`'s
// data in `data_dir`; when that cannot be read, a random input of the
// topology's input_shape() (sizes and BOPs do not depend on the values). A
// topology that does not say its shape gets the DataError.
torch::Tensor measurement_sample(const Problem& problem, const std::filesystem::path& data_dir,
                                 const Topology& topology);

// The config's network built and quantized by its recipe, never from
// pretrained weights (the cost does not depend on them), then summarized.
// A network that learns its bit-widths (lsq `bits: learned`) costs what its
// training chose: its tensors are read from `trained` (a checkpoint of the
// experiment, e.g. its newest) when that exists; without it the bits are the
// recipe's start.
NetworkCost network_cost(const Topology& topology, const ExperimentConfig& config, const torch::Tensor& sample,
                         const std::filesystem::path& trained = {});
// The same network's whole summary, layer by layer.
quantlib::graph::NetworkSummary network_summary(const Topology& topology, const ExperimentConfig& config,
                                                const torch::Tensor& sample,
                                                const std::filesystem::path& trained = {});

// The distinct weight bits and input-activation bits of the layers that have
// weights, ascending: "W4/8 A4/32" (inputs of 32 bits are the unquantized
// data entering the first layer or a layer with no quantizer before it).
std::string bits_text(const quantlib::graph::NetworkSummary& summary);

// "fp32" when no layer with weights has quantized weights or a quantized
// input; "uniform" when those layers share one weight bit-width and their
// quantized inputs one activation bit-width (unquantized inputs, such as the
// data entering the first layer, do not count); "mixed" otherwise.
std::string precision_of(const quantlib::graph::NetworkSummary& summary);

}  // namespace quantlab::compare

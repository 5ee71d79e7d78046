#pragma once
// Integerizes a network built from one of the shipped configs and compares the
// integer network with the fake-quantized one on random 8-bit-grid input:
// the plugins' topologies must integerize.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "quantlab/Topology.h"

namespace quantlab::test {

struct IntegerAgreement {
  std::int64_t samples = 0;
  // Samples in which every requantized activation equals the reference's:
  // their integer logits are the reference's sums done exactly, so their
  // argmax must agree. A sample with a flipped value may not: which values
  // sit on a rounding boundary depends on the float kernels (their
  // summation order differs between CPUs, ISAs and thread counts), and one
  // step early in an untrained network can move the top logit.
  std::int64_t exact_samples = 0;
  std::int64_t argmax_equal_where_exact = 0;
  // Each requantized activation computed from the fake-quantized network's own
  // inputs to it: how many differ from that network's value, of how many, and
  // how many of those float32 rounding does not explain (RequantComparison).
  // In a deep network a float32 rounding flip of the reference moves the
  // values after it, so only this per-node comparison can be exact.
  std::int64_t requantized = 0;
  std::int64_t requantized_differing = 0;
  std::int64_t requantized_unexplained = 0;
  // Exported to ONNX in the integer form (the checker passes) and run in
  // ONNX Runtime: its outputs equal the integer network's, bit for bit.
  bool onnx_equal = false;
  // Exported in the QDQ form (the checker passes) and run in ONNX Runtime,
  // whose int8 kernels round their requantization their own way: whether it
  // ran, and on how many samples its argmax is the integer network's.
  bool qdq_ran = false;
  std::int64_t qdq_argmax_equal = 0;
  // Its logits against the integer network's in output steps (OnnxExport.h):
  // the fraction within one step, and the worst distance.
  double qdq_within_one_step = 0;
  double qdq_worst_steps = 0;
  // The fast integer path (FastIntegerNetwork) gives every node's integers
  // bit for bit; how many convolutions it leaves to the exact executor, and
  // its own account of what it runs where.
  bool fast_equal = false;
  std::int64_t fast_exact_convolutions = -1;
  std::string fast_path;
};

// `config`: a YAML file of configs/<problem>; `overrides`: dotted.key=value
// applied after it (network.pretrained is cleared). Batch-norm statistics come
// from training-mode forwards on the same kind of input, ranges that
// calibrate on a first batch calibrate there; then every controller's
// validation step, then integerize, then the ONNX export.
IntegerAgreement integerize_config(const Topology& topology, const std::filesystem::path& config,
                                   const std::vector<std::string>& overrides,
                                   const std::vector<std::int64_t>& input_shape);

// The Catch2 checks every shipped network's agreement must pass (one place
// for the plugins' integerize tests): argmax, requantized values, the ONNX
// integer form bit for bit, the QDQ form run, the fast path node by node.
void check_integer_agreement(const IntegerAgreement& agreement);

}  // namespace quantlab::test

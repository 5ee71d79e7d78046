#pragma once
// The fast integer path: an integerized network (IntegerNetwork.h) run on
// 8-bit activations and int8 weights. Convolutions and matrix products go
// through oneDNN's int8 kernels (fast/OneDnnInt8.h), which accumulate in
// int32; requantization, pooling, ReLU and flatten run on the bytes with the
// path's own loops (fast/ByteKernels.h), no float round trip. Its outputs are
// the exact executor's, bit for bit: oneDNN hands back the int32 accumulators
// unchanged (as float32, each kept below 2^24 by splitting a layer's input
// channels where its bound needs it), and the requantization is the exact
// executor's integer arithmetic.
//
// A node the path cannot take runs on the exact executor, its inputs
// converted, and is listed in exact_layers() with the reason: activations
// with more than 256 levels, weights wider than int8, a grouped convolution
// whose bound needs splitting, a flatten that keeps spatial dimensions. Where
// oneDNN's int8 kernels are missing or inexact on this machine
// (kernels_unavailable()), every node runs on the exact executor.
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlib::deploy {

class FastIntegerNetwork {
 public:
  explicit FastIntegerNetwork(IntegerNetwork network);
  ~FastIntegerNetwork();
  FastIntegerNetwork(FastIntegerNetwork&&) noexcept;
  FastIntegerNetwork& operator=(FastIntegerNetwork&&) noexcept;

  // The float logits, as IntegerNetwork::forward gives them.
  torch::Tensor forward(const torch::Tensor& float_input) const;
  // Every node's output in the exact executor's form (IntegerNetwork::run).
  std::vector<torch::Tensor> run(const torch::Tensor& float_input) const;

  struct ExactLayer {
    std::string name;    // the node's name
    std::string op;      // its kind (op_name)
    std::string reason;  // why the fast path leaves it to the exact executor
  };
  // The nodes run on the exact executor (Dequant, the float output, is not listed).
  const std::vector<ExactLayer>& exact_layers() const;
  // Why no node runs on int8 kernels on this machine and LibTorch, else nullopt.
  static const std::optional<std::string>& kernels_unavailable();
  // One line for logs and the bench: how many layers run on int8 kernels and which do not, and why.
  std::string describe() const;

 private:
  struct Plan;
  IntegerNetwork network_;
  std::vector<Plan> plans_;
  std::vector<ExactLayer> exact_layers_;

  void plan_pooling_first();
  std::vector<torch::Tensor> execute(const torch::Tensor& float_input, bool every_node) const;
};

}  // namespace quantlib::deploy

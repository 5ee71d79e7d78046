#pragma once
// What a network costs: per layer its parameters, multiply-accumulates (MACs),
// weight and input-activation bits, bit-operations (BOPs = MACs x weight bits x
// input bits) and memory at the chosen bit-widths, plus totals. Measured by
// running ONE sample through the network (eval mode, no gradients) with a
// LayerObserver installed, so shapes are the real ones; MACs and BOPs are per
// sample.
//
// Counting rules:
// - MACs: Conv2d (and QuantConv2d) out elements x in_channels/groups x kh x kw;
//   Linear (and QuantLinear) out elements x in_features; other layers none.
// - Weight bits: a twin's weight quantizer's bits(), 32 for a plain layer or an
//   empty slot. Only the weight tensor takes them; biases, batch-norm
//   statistics, quantizer parameters and buffers (scales, bounds) count 32 bits.
//   Every parameter and buffer of the network is counted once, except a weight
//   quantizer's buffers as large as the weight (INQ's frozen mask): training
//   state that the trained model does not need.
// - Input bits: the bits of the quantizer that last produced the tensor entering
//   the layer (a Block's input quantizer of the layer, else the output
//   quantizer that made it), carried through layers and views that keep values
//   on the same grid (ReLU, max-pooling, dropout, flatten, identity, and
//   reshapes that share storage); 32 for anything else.
// Quantizers count at their bits whether or not a controller has enabled them
// yet: the summary describes the recipe, not an epoch.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace quantlib::nn {
class Quantizer;
}

namespace quantlib::graph {

// MACs per output element of a conv/linear layer or its quantized twin;
// nullopt for any other layer.
std::optional<int64_t> macs_per_output(const torch::nn::Module& layer);

// Whether a layer of this short type outputs values on its input's grid
// (ReLU, max-pooling, dropout, flatten, identity, ...), so that the bits of
// what enters it are the bits of what leaves it.
bool keeps_grid(const std::string& type);

struct LayerSummary {
  std::string name;                   // dotted, as in named_modules
  std::string type;                   // short type name ("QuantConv2d", "ReLU")
  std::vector<int64_t> output_shape;  // of one sample (batch dimension dropped), first call; empty if never called
  int64_t calls = 0;                  // times the forward called it
  int64_t parameters = 0;             // parameter elements, its quantizers' included
  int64_t memory_bits = 0;            // its parameters, buffers and quantizers at their bits
  int64_t macs = 0;                   // over all calls
  std::optional<int64_t> weight_bits;  // set for conv/linear layers
  std::optional<int64_t> input_bits;   // of the last call; unset if never called
  int64_t bops = 0;                    // over all calls
  // The quantizers whose bits are weight_bits and input_bits (nullptr: none,
  // 32 bits): cost models that follow learned bit-widths read them. They
  // point into the summarized network.
  const nn::Quantizer* weight_quantizer = nullptr;
  const nn::Quantizer* input_quantizer = nullptr;

  int64_t memory_bytes() const { return (memory_bits + 7) / 8; }
};

struct NetworkSummary {
  // Every layer a Block calls (registration order), quantizers counted with the
  // layer they serve; a last row "(elsewhere)" holds tensors no such layer owns.
  std::vector<LayerSummary> layers;
  std::vector<int64_t> input_shape;  // of one sample
  int64_t parameters = 0;
  int64_t size_bits = 0;  // all parameters and buffers at their bits
  int64_t macs = 0;
  int64_t bops = 0;

  int64_t size_bytes() const { return (size_bits + 7) / 8; }

  using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

  // Runs `forward` (which calls `network`) on `sample`, a batch (usually of one);
  // the network's training mode and its quantizers' enabled flags are restored.
  static NetworkSummary of(torch::nn::Module& network, const torch::Tensor& sample, const Forward& forward);

  template <class Network>
  static NetworkSummary of(Network& network, const torch::Tensor& sample) {
    return of(network, sample, [&network](const torch::Tensor& x) { return network.forward(x); });
  }
};

}  // namespace quantlib::graph

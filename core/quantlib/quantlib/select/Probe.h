#pragma once
// What mixed-precision selection measures on a full-precision network: its
// quantizable layers (convolutions and linear layers, as a rules recipe
// selects them) with their sizes, the activation that feeds each one, and the
// quantizers that perturb one layer at a time.
//
// The activation of a layer is the tensor entering it. Traced back through
// layers that keep values on the same grid (max-pooling, dropout, flatten,
// identity), it is either
// - the network's input: no activation decision (recipes leave it alone),
// - the output of a ReLU that feeds no other quantizable layer: quantized by
//   an output quantizer on that ReLU (unsigned), or
// - anything else: quantized by the layer's own input quantizer, signed when
//   some measured value is below zero.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "quantlib/nn/Block.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib::select {

struct QuantizableLayer {
  std::string name;  // dotted, as in named_modules
  std::string type;  // "Conv2d", "Linear"
  std::shared_ptr<torch::nn::Module> module;
  torch::Tensor weight;
  nn::Block* parent = nullptr;  // the Block that calls it
  std::string name_in_parent;
  int64_t parameters = 0;      // weight elements
  int64_t macs = 0;            // per sample
  int64_t input_elements = 0;  // per sample
  enum class Feed { NetworkInput, Relu, Other };
  Feed feed = Feed::Other;
  std::string relu;            // Feed::Relu: the ReLU's dotted name
  bool input_signed = false;   // some value entering it is below zero (on the sample)

  bool has_activation() const { return feed != Feed::NetworkInput; }
  // "relu1", "fc1 input", or "" for the network's input.
  std::string activation_name() const;
};

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

// The conv/linear layers `forward` calls (each called by a Block), in call
// order, measured on `sample` (a batch) in eval mode without gradients; the
// network's training mode is restored. c10::Error when there is none.
std::vector<QuantizableLayer> quantizable_layers(torch::nn::Module& network, const torch::Tensor& sample,
                                                 const Forward& forward);

// Weights at `bits`: symmetric, per output channel, each channel's clipping
// bound the mean-squared-error optimal one (ops/WeightRange.h, Mse).
torch::Tensor quantize_weight(const torch::Tensor& weight, int64_t bits);

// An activation at `bits` with a fixed clipping bound: unsigned on
// [0, clip] with 2^bits - 1 steps, or signed on [-clip, clip] with
// 2^(bits-1) - 1 steps each side (ops/Pact.h's grid, the bound fixed).
struct ActivationRange {
  double clip = 1.0;
  bool is_signed = false;
};
torch::Tensor quantize_activation(const torch::Tensor& x, int64_t bits, const ActivationRange& range);
// The clipping bound of least squared error among top * i / 100, i = 1..100
// (top: max |x| over all the values), in two halves for values spread over
// ranks: the squared errors (float64 {100}) of the candidates on `x`, which
// add up over parts of the values, then the best candidate of the summed
// errors (the larger on ties; 1 when top is 0).
constexpr int64_t kClipCandidates = 100;
torch::Tensor clip_errors(const torch::Tensor& x, int64_t bits, bool is_signed, double top);
ActivationRange best_clip(const torch::Tensor& errors, double top, bool is_signed);

// Signal-to-quantization-noise ratio 10 log10(sum x^2 / sum (x - q)^2) in dB;
// +infinity when q equals x.
double sqnr_db(const torch::Tensor& x, const torch::Tensor& q);

// A quantizer at fixed bits and range (quantize_activation), for measuring
// what quantizing one activation costs.
class FixedActivationQuantizer : public nn::Quantizer {
 public:
  FixedActivationQuantizer(int64_t bits, ActivationRange range);
  int64_t bits() const override { return bits_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  int64_t bits_;
  ActivationRange range_;
};

// Collects what enters each of some layers while the guard lives (on this
// thread), e.g. to calibrate their activation ranges: per call at most
// 2^18 values, evenly strided.
class InputRecorder : public nn::LayerObserver {
 public:
  explicit InputRecorder(std::vector<const torch::nn::Module*> layers);
  void observe(const torch::nn::Module& layer, const torch::Tensor& input, const torch::Tensor& output) override;
  // What layer i received, flattened and concatenated.
  torch::Tensor values(size_t i) const;

 private:
  std::vector<const torch::nn::Module*> layers_;
  std::vector<std::vector<torch::Tensor>> inputs_;
};

}  // namespace quantlib::select

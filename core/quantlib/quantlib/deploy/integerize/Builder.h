#pragma once
// Integerize's builder (internal): a layer observer that, given the op trace
// and the layer calls of one forward, turns each traced value into a value of
// the integer network. Its parts live in:
//   Builder.cpp     dataflow (the ops between layers), values, the output
//   Layers.cpp      the per-layer lowering table (conv/linear, batch-norm, pools, ...)
//   Requantize.cpp  activation quantizers, from their integer grids
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "quantlib/deploy/Integerize.h"
#include "quantlib/deploy/IntegerNetwork.h"
#include "quantlib/deploy/integerize/Trace.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib::deploy::detail {

using torch::Tensor;

[[noreturn]] inline void fail(const std::string& message) { throw IntegerizeError("integerize: " + message); }

inline Tensor doubles(std::vector<double> values) {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kDouble));
}
inline Tensor as_double(const Tensor& t) { return t.detach().to(torch::kDouble).flatten().clone(); }
inline double max_abs(const Tensor& t) { return t.abs().max().item<double>(); }
inline int64_t max_abs(int64_t lo, int64_t hi) { return std::max(std::abs(lo), std::abs(hi)); }
inline int64_t pow2(int64_t bits) { return int64_t{1} << bits; }

// real = a[c] * v_node
struct Term {
  int node;
  Tensor a;  // float64, 1 or C elements
};

// Either an integer node (real = scale * v), or an affine form of integer
// nodes not yet requantized: real = relu?(sum_k a_k v_k + b).
struct Value {
  bool affine = false;
  int node = -1;
  std::vector<Term> terms;
  Tensor b;
  bool relu = false;
  // ReLU6 and the like: also clipped at this real value (relu is then true).
  std::optional<double> cap;
  std::string from;  // what computed it, for node descriptions
};

// An activation quantizer as integerize implements it: its grid (uniform or
// thresholds) with the step as the float32 value the quantizer computes with.
struct ActivationSpec {
  nn::IntegerGrid grid;
  double step = 1;
  int64_t bits = 8;
  std::string what;
};

class Builder : public nn::LayerObserver {
 public:
  Builder(torch::nn::Module& network, TraceBuffer& trace, const InputQuantization& input);

  void bind_input(const Tensor& x);
  void observe(const torch::nn::Module& module, const Tensor& input, const Tensor& output) override;
  IntegerNetwork finish(const Tensor& output);

  // One entry of the lowering table: the layers whose type (or a quantized
  // twin's original type) is `type`.
  struct LayerLowering {
    const char* type;
    Value (Builder::*lower)(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  };
  static const std::vector<LayerLowering>& layer_lowerings();
  // "Conv2d, Linear, ..." for messages.
  static std::string supported_layers();

 private:
  // ---- dataflow (Builder.cpp) ----
  static bool produces(const OpEvent& event, const c10::TensorImpl* impl);
  // The value of `tensor` as of just before event `before`: made by the
  // latest network op in the current window that produced it, else known.
  Value resolve(const Tensor& tensor, size_t before, const std::string& consumer);
  void apply_event(size_t index, const std::string& consumer);
  Value apply_op(const OpEvent& event, const std::vector<Value>& in, const std::string& consumer);
  Value apply_layer(const graph::Layer& layer, Value v, const Tensor& input, const Tensor& output);
  // max(x, 0), and min(., cap) for ReLU6.
  Value relu(const Value& v, const std::string& what, std::optional<double> cap = std::nullopt);
  Value flatten(const Value& v, const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                const std::string& where);
  Value add(const Value& x, const Value& y, const std::string& consumer);
  Value to_affine(const Value& v) const;
  static Value int_value(int node, std::string from);
  static void check_int32(int64_t lo, int64_t hi, const std::string& layer);
  int add_node(IntegerNode node);

  // ---- layers (Layers.cpp) ----
  Value layer_op(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value conv_or_linear(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Tensor weight_steps(nn::Quantizer& quantizer, const Tensor& wq, const std::string& name);
  Value batch_norm(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value relu_layer(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value relu6_layer(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value flatten_layer(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value identity_layer(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value max_pool(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value avg_pool(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value adaptive_avg_pool(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  Value zero_pad_shortcut(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output);
  IntegerNode pool_node(const graph::Layer& layer, OpKind op, at::IntArrayRef kernel, at::IntArrayRef stride,
                        at::IntArrayRef padding);
  Value sum_pool(const graph::Layer& layer, const Value& v, at::IntArrayRef kernel, at::IntArrayRef stride,
                 at::IntArrayRef padding);

  // ---- requantization (Requantize.cpp) ----
  ActivationSpec activation_spec(nn::Quantizer& q, const std::string& layer, const std::string& role);
  // The formula integerize implements must be what the quantizer computes:
  // checked on points away from rounding boundaries.
  void verify_spec(nn::Quantizer& q, const ActivationSpec& spec, const std::string& layer);
  Value quantize(const Value& v, nn::Quantizer& q, const std::string& layer, const std::string& role);

  TraceBuffer& trace_;
  IntegerNetwork net_;
  std::unordered_map<const torch::nn::Module*, graph::Layer> layers_;
  std::unordered_map<const c10::TensorImpl*, Value> values_;
  std::vector<Tensor> keep_;  // keeps traced tensors alive, so no TensorImpl address is reused
  size_t window_begin_ = 0;
};

}  // namespace quantlib::deploy::detail

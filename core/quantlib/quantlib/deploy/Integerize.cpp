#include "quantlib/deploy/Integerize.h"

#include <cmath>
#include <limits>
#include <optional>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>
#include <variant>

#include <ATen/record_function.h>
#include <torch/torch.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/nn/BinaryQuantizer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/nn/LsqQuantizer.h"
#include "quantlib/nn/PactQuantizer.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/nn/SteQuantizer.h"
#include "quantlib/nn/TernaryQuantizer.h"
#include "quantlib/nn/TqtQuantizer.h"
#include "quantlib/nn/UniformWeightQuantizer.h"
#include "quantlib/nn/ZeroPadShortcut.h"

namespace quantlib::deploy {
namespace {

using torch::Tensor;

constexpr const char* kSupportedLayers =
    "Conv2d, QuantConv2d, Linear, QuantLinear, BatchNorm1d, BatchNorm2d, ReLU, ReLU6, MaxPool2d, AvgPool2d, ZeroPadShortcut, "
    "AdaptiveAvgPool2d, Dropout, Dropout2d, Identity, Flatten, nested Blocks";
constexpr const char* kSupportedOps =
    "aten::add, aten::add_, aten::flatten, aten::view, aten::reshape, aten::relu, aten::relu_, aten::contiguous, "
    "aten::clone, aten::detach, aten::dropout";

[[noreturn]] void fail(const std::string& message) { throw IntegerizeError("integerize: " + message); }

Tensor doubles(std::vector<double> values) {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kDouble));
}
Tensor as_double(const Tensor& t) { return t.detach().to(torch::kDouble).flatten().clone(); }
double max_abs(const Tensor& t) { return t.abs().max().item<double>(); }
int64_t max_abs(int64_t lo, int64_t hi) { return std::max(std::abs(lo), std::abs(hi)); }

// ---- the op trace (thread-local RecordFunction callbacks) ----

struct OpEvent {
  std::string name;
  std::vector<c10::IValue> arguments;
  std::vector<Tensor> inputs;  // the tensor arguments, in order
  std::vector<Tensor> outputs;
  bool done = false;
};

struct TraceBuffer {
  std::vector<OpEvent> events;
  int depth = 0;
};

thread_local TraceBuffer* active_trace = nullptr;

struct EventContext : at::ObserverContext {
  explicit EventContext(int64_t i) : index(i) {}
  int64_t index;
};

// Only the outermost op of a nest is the network's (aten::flatten, not the
// aten::view it calls).
std::unique_ptr<at::ObserverContext> on_op_start(const at::RecordFunction& fn) {
  TraceBuffer* trace = active_trace;
  if (trace == nullptr) return nullptr;
  if (++trace->depth != 1) return std::make_unique<EventContext>(-1);
  OpEvent event;
  event.name = fn.name();
  for (const auto& argument : fn.inputs()) {
    event.arguments.push_back(argument);
    if (argument.isTensor()) event.inputs.push_back(argument.toTensor());
  }
  trace->events.push_back(std::move(event));
  return std::make_unique<EventContext>(static_cast<int64_t>(trace->events.size()) - 1);
}

void on_op_end(const at::RecordFunction& fn, at::ObserverContext* context) {
  TraceBuffer* trace = active_trace;
  auto* event = static_cast<EventContext*>(context);
  if (trace == nullptr || event == nullptr) return;
  --trace->depth;
  if (event->index < 0) return;
  for (const auto& output : fn.outputs())
    if (output.isTensor()) trace->events[static_cast<size_t>(event->index)].outputs.push_back(output.toTensor());
}

class Tracing {
 public:
  explicit Tracing(TraceBuffer& trace) : previous_(active_trace) {
    active_trace = &trace;
    handle_ = at::addThreadLocalCallback(
        at::RecordFunctionCallback(&on_op_start, &on_op_end).needsInputs(true).needsOutputs(true));
  }
  ~Tracing() {
    at::removeCallback(handle_);
    active_trace = previous_;
  }
  Tracing(const Tracing&) = delete;
  Tracing& operator=(const Tracing&) = delete;

 private:
  TraceBuffer* previous_;
  at::CallbackHandle handle_;
};

// Integerize's own tensor work inside an observer call is not the network's.
class PauseTracing {
 public:
  PauseTracing() : saved_(active_trace) { active_trace = nullptr; }
  ~PauseTracing() { active_trace = saved_; }
  PauseTracing(const PauseTracing&) = delete;
  PauseTracing& operator=(const PauseTracing&) = delete;

 private:
  TraceBuffer* saved_;
};

// ---- symbolic values ----

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

struct ActivationSpec {
  double step = 1;
  int64_t lo = 0;
  int64_t hi = 0;
  Rounding rounding = Rounding::Nearest;
  int64_t bits = 8;
  bool is_signed = false;
  // Threshold form: the real thresholds x >= t_j (inclusive) or x > t_j.
  std::vector<std::pair<double, bool>> thresholds;  // (t, strict)
  int64_t gain = 1;
  std::string what;
};

int64_t pow2(int64_t bits) { return int64_t{1} << bits; }

class Builder : public nn::LayerObserver {
 public:
  Builder(torch::nn::Module& network, TraceBuffer& trace, const InputQuantization& input) : trace_(trace) {
    for (auto& layer : graph::list_layers(network)) layers_.emplace(layer.module.get(), layer);
    IntegerNode node;
    node.name = "input";
    node.origin = "float input / " + std::to_string(input.step) + ", rounded";
    node.op = OpKind::Input;
    node.lo = input.lo;
    node.hi = input.hi;
    node.scale = doubles({input.step});
    node.bits = input.bits;
    node.is_signed = input.lo < 0;
    node.input_step = input.step;
    net_.nodes.push_back(node);
  }

  void bind_input(const Tensor& x) {
    keep_.push_back(x);
    Value v;
    v.node = 0;
    v.from = "input";
    values_[x.unsafeGetTensorImpl()] = v;
  }

  void observe(const torch::nn::Module& module, const Tensor& input, const Tensor& output) override {
    PauseTracing pause;
    torch::NoGradGuard no_grad;
    keep_.push_back(input);
    keep_.push_back(output);
    const auto found = layers_.find(&module);
    TORCH_CHECK(found != layers_.end(), "integerize: a layer call from outside the traced network");
    const graph::Layer& layer = found->second;
    if (dynamic_cast<const nn::Block*>(&module) != nullptr) {
      if (layer.parent != nullptr && (layer.parent->input_quantizer(layer.name_in_parent) ||
                                      layer.parent->output_quantizer(layer.name_in_parent)))
        fail("block '" + layer.name + "' has activation quantizers of its own; put them on its layers");
      values_[output.unsafeGetTensorImpl()] =
          resolve(output, trace_.events.size(), "the output of block '" + layer.name + "'");
    } else {
      Value v = resolve(input, trace_.events.size(), "layer '" + layer.name + "'");
      values_[output.unsafeGetTensorImpl()] = apply_layer(layer, std::move(v), input, output);
    }
    window_begin_ = trace_.events.size();
  }

  IntegerNetwork finish(const Tensor& output) {
    torch::NoGradGuard no_grad;
    const Value v = to_affine(resolve(output, trace_.events.size(), "the network's output"));
    IntegerNode node;
    node.name = "output";
    node.origin = "dequantizes " + v.from;
    node.op = OpKind::Dequant;
    for (const auto& term : v.terms) {
      node.inputs.push_back(term.node);
      node.dequant_scales.push_back(term.a);
    }
    node.dequant_offset = v.b;
    if (v.cap) fail("the network's output comes from a clipping activation (" + v.from + ") without requantization");
    node.dequant_relu = v.relu;
    net_.nodes.push_back(node);
    return net_;
  }

 private:
  // ---- dataflow ----

  static bool produces(const OpEvent& event, const c10::TensorImpl* impl) {
    for (const auto& t : event.outputs)
      if (t.unsafeGetTensorImpl() == impl) return true;
    return false;
  }

  // The value of `tensor` as of just before event `before`: made by the
  // latest network op in the current window that produced it, else known.
  Value resolve(const Tensor& tensor, size_t before, const std::string& consumer) {
    const c10::TensorImpl* impl = tensor.unsafeGetTensorImpl();
    for (size_t i = before; i-- > window_begin_;) {
      if (!produces(trace_.events[i], impl)) continue;
      if (!trace_.events[i].done) apply_event(i, consumer);
      break;
    }
    const auto known = values_.find(impl);
    if (known == values_.end())
      fail(consumer + " takes a tensor that integerize did not see being made by the network's layers or "
                      "supported ops (computed inside another layer, or before an earlier layer call)");
    return known->second;
  }

  void apply_event(size_t index, const std::string& consumer) {
    // Copy: resolving inputs may not grow the event list, but keep it simple.
    const OpEvent event = trace_.events[index];
    std::vector<Value> in;
    for (const auto& t : event.inputs) in.push_back(resolve(t, index, consumer));
    Value out = apply_op(event, in, consumer);
    trace_.events[index].done = true;
    for (const auto& t : event.outputs) {
      keep_.push_back(t);
      values_[t.unsafeGetTensorImpl()] = out;
    }
  }

  Value apply_op(const OpEvent& event, const std::vector<Value>& in, const std::string& consumer) {
    const std::string& op = event.name;
    const auto unsupported = [&](const std::string& why) -> Value {
      fail(consumer + " takes the output of " + op + ", which integerize does not support" + why +
           " (supported between layers: " + kSupportedOps + ")");
    };
    if (event.outputs.size() != 1 || in.empty()) return unsupported("");
    const auto in_sizes = event.inputs[0].sizes();
    const auto out_sizes = event.outputs[0].sizes();
    if (op == "aten::add" || op == "aten::add_") {
      if (in.size() != 2) return unsupported(" with a scalar");
      if (event.arguments.size() >= 3 && event.arguments[2].isScalar() &&
          event.arguments[2].toScalar().toDouble() != 1.0)
        return unsupported(" with alpha != 1");
      if (event.inputs[0].sizes() != event.inputs[1].sizes()) return unsupported(" with broadcasting");
      return add(in[0], in[1], consumer);
    }
    if (op == "aten::flatten" || op == "aten::view" || op == "aten::reshape" || op == "aten::_reshape_alias" ||
        op == "aten::_unsafe_view")
      return flatten(in[0], in_sizes.vec(), out_sizes.vec(), consumer + " (via " + op + ")");
    if (op == "aten::contiguous" || op == "aten::clone" || op == "aten::detach" || op == "aten::dropout" ||
        op == "aten::feature_dropout" || op == "aten::alias") {
      if (in_sizes != out_sizes) return unsupported(" changing the shape");
      return in[0];
    }
    if (op == "aten::relu" || op == "aten::relu_") return relu(in[0], op);
    return unsupported("");
  }

  // ---- layers ----

  Value apply_layer(const graph::Layer& layer, Value v, const Tensor& input, const Tensor& output) {
    std::shared_ptr<nn::Quantizer> in_q, out_q;
    bool substitutes = false;
    if (layer.parent != nullptr) {
      in_q = layer.parent->input_quantizer(layer.name_in_parent);
      out_q = layer.parent->output_quantizer(layer.name_in_parent);
      substitutes = layer.parent->output_quantizer_substitutes(layer.name_in_parent);
    }
    if (in_q && in_q->enabled()) v = quantize(v, *in_q, layer.name, "input quantizer");
    if (!(substitutes && out_q && out_q->enabled())) v = layer_op(layer, v, input, output);
    if (out_q && out_q->enabled())
      v = quantize(v, *out_q, layer.name, substitutes ? "output quantizer, in place of the layer" : "output quantizer");
    return v;
  }

  Value layer_op(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output) {
    const std::string& type = layer.type;
    torch::nn::Module* module = layer.module.get();
    if (layer.is("Conv2d") || layer.is("Linear")) return conv_or_linear(layer, v, input);
    if (type == "BatchNorm2d" || type == "BatchNorm1d") return batch_norm(layer, v);
    if (type == "ReLU") return relu(v, layer.name);
    if (type == "ReLU6") return relu(v, layer.name, 6.0);
    if (auto* shortcut = dynamic_cast<nn::ZeroPadShortcutImpl*>(module)) return zero_pad_shortcut(layer, *shortcut, v);
    if (type == "MaxPool2d") {
      const auto& o = dynamic_cast<torch::nn::MaxPool2dImpl*>(module)->options;
      IntegerNode node = pool_node(layer, OpKind::MaxPool2d, *o.kernel_size(), *o.stride(), *o.padding());
      node.dilation = {(*o.dilation())[0], (*o.dilation())[1]};
      node.ceil_mode = o.ceil_mode();
      if (v.affine)
        fail("layer '" + layer.name + "' (MaxPool2d) takes a value that is not requantized (" + v.from +
             "); integerize needs an activation quantizer before a max-pool");
      node.inputs = {v.node};
      const IntegerNode& src = net_.nodes[static_cast<size_t>(v.node)];
      node.lo = src.lo;
      node.hi = src.hi;
      node.scale = src.scale;
      node.bits = src.bits;
      node.is_signed = src.is_signed;
      return int_value(add_node(node), v.from + " -> " + layer.name);
    }
    if (type == "AvgPool2d") {
      const auto& o = dynamic_cast<torch::nn::AvgPool2dImpl*>(module)->options;
      if (o.ceil_mode() || o.divisor_override() || (!o.count_include_pad() && ((*o.padding())[0] || (*o.padding())[1])))
        fail("layer '" + layer.name + "' (AvgPool2d) uses ceil_mode, divisor_override or count_include_pad=false, "
             "which integerize does not support");
      return sum_pool(layer, v, *o.kernel_size(), *o.stride(), *o.padding());
    }
    if (type == "AdaptiveAvgPool2d") {
      const auto& o = dynamic_cast<torch::nn::AdaptiveAvgPool2dImpl*>(module)->options;
      const auto sizes = *o.output_size();
      std::vector<int64_t> kernel(2);
      for (int d = 0; d < 2; ++d) {
        const int64_t in = input.size(input.dim() - 2 + d);
        const int64_t out = sizes[static_cast<size_t>(d)] ? *sizes[static_cast<size_t>(d)] : in;
        if (in % out != 0)
          fail("layer '" + layer.name + "' (AdaptiveAvgPool2d) pools " + std::to_string(in) + " to " +
               std::to_string(out) + ", not a whole number of inputs per output, which integerize does not support");
        kernel[static_cast<size_t>(d)] = in / out;
      }
      return sum_pool(layer, v, kernel, kernel, {0, 0});
    }
    if (type == "Dropout" || type == "Dropout2d" || type == "Identity") return v;
    if (type == "Flatten")
      return flatten(v, input.sizes().vec(), output.sizes().vec(), "layer '" + layer.name + "'");
    if (auto* quantizer = dynamic_cast<nn::Quantizer*>(module))
      return quantizer->enabled() ? quantize(v, *quantizer, layer.name, "layer") : v;
    fail("layer '" + layer.name + "' is a " + type + ", which integerize does not support (supported layers: " +
         kSupportedLayers + ")");
  }

  IntegerNode pool_node(const graph::Layer& layer, OpKind op, at::IntArrayRef kernel, at::IntArrayRef stride,
                        at::IntArrayRef padding) {
    IntegerNode node;
    node.name = layer.name;
    node.origin = layer.type;
    node.op = op;
    node.kernel = {kernel[0], kernel[1]};
    node.stride = {stride[0], stride[1]};
    node.padding = {padding[0], padding[1]};
    return node;
  }

  Value sum_pool(const graph::Layer& layer, const Value& v, at::IntArrayRef kernel, at::IntArrayRef stride,
                 at::IntArrayRef padding) {
    const double count = static_cast<double>(kernel[0] * kernel[1]);
    const auto pool = [&](int source) {
      IntegerNode node = pool_node(layer, OpKind::SumPool2d, kernel, stride, padding);
      const IntegerNode& src = net_.nodes[static_cast<size_t>(source)];
      node.inputs = {source};
      node.lo = src.lo * kernel[0] * kernel[1];
      node.hi = src.hi * kernel[0] * kernel[1];
      check_int32(node.lo, node.hi, layer.name);
      node.scale = src.scale / count;
      return add_node(node);
    };
    if (!v.affine) return int_value(pool(v.node), v.from + " -> " + layer.name);
    if (v.relu)
      fail("layer '" + layer.name + "' (average pool) follows a ReLU whose value is not requantized (" + v.from +
           "); put an activation quantizer before it");
    Value out = v;
    for (auto& term : out.terms) {
      term.node = pool(term.node);
      term.a = term.a / count;
    }
    out.from += " -> " + layer.name;
    return out;
  }

  // Subsampling as a max-pool of kernel 1, the new zero channels as a 1x1
  // convolution with 0/1 weights: both exact on the integers.
  Value zero_pad_shortcut(const graph::Layer& layer, const nn::ZeroPadShortcutImpl& shortcut, const Value& v) {
    if (v.affine)
      fail("layer '" + layer.name + "' (ZeroPadShortcut) takes a value that is not quantized (" + v.from +
           "); integerize needs an activation quantizer before it");
    const IntegerNode src = net_.nodes[static_cast<size_t>(v.node)];
    if (src.scale.numel() != 1)
      fail("layer '" + layer.name + "' takes a per-channel scaled value (" + v.from + "); requantize it first");
    int source = v.node;
    if (shortcut.stride() > 1) {
      IntegerNode pool;
      pool.name = layer.name;
      pool.origin = "ZeroPadShortcut subsampling";
      pool.op = OpKind::MaxPool2d;
      pool.inputs = {source};
      pool.kernel = {1, 1};
      pool.stride = {shortcut.stride(), shortcut.stride()};
      pool.lo = src.lo;
      pool.hi = src.hi;
      pool.scale = src.scale;
      pool.bits = src.bits;
      pool.is_signed = src.is_signed;
      source = add_node(pool);
    }
    IntegerNode node;
    node.name = layer.name;
    node.origin = "ZeroPadShortcut new channels";
    node.op = OpKind::Conv2d;
    node.inputs = {source};
    node.weight = torch::zeros({shortcut.out_channels(), shortcut.in_channels(), 1, 1}, torch::kChar);
    for (int64_t c = 0; c < shortcut.in_channels(); ++c) node.weight[shortcut.first_channel() + c][c] = 1;
    node.weight_scale = doubles({1.0});
    node.lo = std::min<int64_t>(src.lo, 0);
    node.hi = std::max<int64_t>(src.hi, 0);
    node.scale = src.scale;
    const int id = add_node(node);
    Value out;
    out.affine = true;
    out.terms = {Term{id, net_.nodes[static_cast<size_t>(id)].scale}};
    out.b = doubles({0.0});
    out.from = layer.name;
    return out;
  }

  Value conv_or_linear(const graph::Layer& layer, const Value& v, const Tensor& input) {
    const bool conv = layer.is("Conv2d");
    if (v.affine)
      fail("layer '" + layer.name + "' (" + layer.type + ") takes a value that is not quantized (" + v.from +
           "); integerize needs an activation quantizer before every conv/linear");
    const IntegerNode& src = net_.nodes[static_cast<size_t>(v.node)];
    if (src.scale.numel() != 1)
      fail("layer '" + layer.name + "' takes a per-channel scaled value (" + v.from + "); requantize it first");
    auto* twin = dynamic_cast<nn::QuantizedLayer*>(layer.module.get());
    torch::nn::Module* plain = twin ? twin->original().get() : layer.module.get();
    const std::shared_ptr<nn::Quantizer> wq = twin ? twin->weight_quantizer() : nullptr;
    if (!wq || !wq->enabled())
      fail("layer '" + layer.name + "' (" + layer.type +
           ") has float weights; integerize needs an enabled weight quantizer on every conv/linear");

    IntegerNode node;
    node.name = layer.name;
    node.op = conv ? OpKind::Conv2d : OpKind::Linear;
    node.inputs = {v.node};
    Tensor weight, bias;
    if (conv) {
      auto* c = dynamic_cast<torch::nn::Conv2dImpl*>(plain);
      TORCH_CHECK(c != nullptr, "integerize: '", layer.name, "' is no Conv2d");
      const auto& o = c->options;
      if (!std::get_if<torch::enumtype::kZeros>(&o.padding_mode()))
        fail("layer '" + layer.name + "' (Conv2d) pads other than with zeros, which integerize does not support");
      if (const auto* p = std::get_if<torch::ExpandingArray<2>>(&o.padding())) {
        node.padding = {(**p)[0], (**p)[1]};
      } else if (!std::get_if<torch::enumtype::kValid>(&o.padding())) {
        fail("layer '" + layer.name + "' (Conv2d) uses padding 'same', which integerize does not support");
      }
      node.stride = {(*o.stride())[0], (*o.stride())[1]};
      node.dilation = {(*o.dilation())[0], (*o.dilation())[1]};
      node.groups = o.groups();
      weight = c->weight;
      bias = c->bias;
      if (input.dim() != 4) fail("layer '" + layer.name + "' (Conv2d) takes a non-NCHW input");
    } else {
      auto* l = dynamic_cast<torch::nn::LinearImpl*>(plain);
      TORCH_CHECK(l != nullptr, "integerize: '", layer.name, "' is no Linear");
      weight = l->weight;
      bias = l->bias;
      if (input.dim() != 2) fail("layer '" + layer.name + "' (Linear) takes a " + std::to_string(input.dim()) +
                                 "-d input; integerize supports [N, features]");
    }
    const Tensor wq_values = wq->forward(weight).detach().to(torch::kDouble);
    const int64_t out_channels = weight.size(0);
    Tensor steps = weight_steps(*wq, wq_values, layer.name);
    std::vector<int64_t> shape(static_cast<size_t>(weight.dim()), 1);
    shape[0] = out_channels;
    const Tensor ints = wq_values.div(steps.expand({out_channels}).reshape(shape)).round();
    const double error = max_abs(ints.mul(steps.expand({out_channels}).reshape(shape)).sub(wq_values));
    if (error > 1e-5 * std::max(max_abs(wq_values), 1e-30))
      fail("the quantized weights of layer '" + layer.name +
           "' are not integers times a step per output channel (an INQ quantizer with weights not yet frozen?)");
    const int64_t int_max = ints.numel() ? static_cast<int64_t>(max_abs(ints)) : 0;
    node.weight = ints.to(int_max <= 127 ? torch::kChar : torch::kInt);
    node.weight_scale = steps;
    const double in_abs = static_cast<double>(max_abs(src.lo, src.hi));
    const double bound = ints.abs().reshape({out_channels, -1}).sum(1).max().item<double>() * in_abs;
    if (bound > static_cast<double>(std::numeric_limits<int32_t>::max()))
      fail("layer '" + layer.name + "' could overflow an int32 accumulator (bound " + std::to_string(bound) + ")");
    node.lo = -static_cast<int64_t>(bound);
    node.hi = static_cast<int64_t>(bound);
    node.scale = src.scale * steps;
    node.origin = layer.type + ", " + graph::short_type_name(wq->name()) + " " + std::to_string(wq->bits()) +
                  "-bit weights" + (steps.numel() > 1 ? " per channel" : "");
    const int id = add_node(node);
    Value out;
    out.affine = true;
    out.terms = {Term{id, net_.nodes[static_cast<size_t>(id)].scale}};
    out.b = bias.defined() ? as_double(bias) : doubles({0.0});
    out.from = layer.name;
    return out;
  }

  // Per output channel (or 1) float64 steps of a quantized weight.
  Tensor weight_steps(nn::Quantizer& quantizer, const Tensor& wq, const std::string& name) {
    Tensor steps;
    if (auto* u = dynamic_cast<nn::UniformWeightQuantizer*>(&quantizer)) {
      steps = as_double(u->scale());
    } else if (auto* l = dynamic_cast<nn::LsqQuantizer*>(&quantizer)) {
      steps = as_double(l->step());
    } else if (auto* t = dynamic_cast<nn::TqtQuantizer*>(&quantizer)) {
      const int64_t offset = t->signedness() == ops::Signedness::Signed ? t->bits() - 1 : t->bits();
      const double log2_t = t->log2_t().item<float>();
      steps = doubles({std::ldexp(1.0, static_cast<int>(std::ceil(log2_t)) - static_cast<int>(offset))});
    } else {
      // INQ, ternary, binary: every value is an integer multiple of the
      // smallest nonzero magnitude of its row (powers of two, or one level).
      const Tensor rows = wq.abs().reshape({wq.size(0), -1});
      const Tensor masked = torch::where(rows.gt(0), rows, torch::full_like(rows, std::numeric_limits<double>::infinity()));
      steps = std::get<0>(masked.min(1));
      steps = torch::where(torch::isinf(steps), torch::ones_like(steps), steps);
    }
    if (steps.numel() > 1 && steps.eq(steps[0]).all().item<bool>()) steps = steps.slice(0, 0, 1).clone();
    if (!(steps.gt(0).all().item<bool>()))
      fail("layer '" + name + "' has a weight step that is not positive");
    return steps;
  }

  Value batch_norm(const graph::Layer& layer, const Value& v) {
    if (v.relu) fail("batch-norm '" + layer.name + "' follows a ReLU (" + v.from + "); integerize cannot fold it");
    Tensor mean, var, gamma, beta;
    double eps = 1e-5;
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(layer.module.get())) {
      mean = bn->running_mean, var = bn->running_var, gamma = bn->weight, beta = bn->bias, eps = bn->options.eps();
    } else if (auto* bn1 = dynamic_cast<torch::nn::BatchNorm1dImpl*>(layer.module.get())) {
      mean = bn1->running_mean, var = bn1->running_var, gamma = bn1->weight, beta = bn1->bias, eps = bn1->options.eps();
    }
    if (!mean.defined() || !var.defined())
      fail("batch-norm '" + layer.name + "' has no running statistics to fold");
    const Tensor g = (gamma.defined() ? as_double(gamma) : torch::ones({mean.numel()}, torch::kDouble)) /
                     (as_double(var) + eps).sqrt();
    const Tensor h = (beta.defined() ? as_double(beta) : torch::zeros({mean.numel()}, torch::kDouble)) -
                     as_double(mean) * g;
    Value out = to_affine(v);
    for (auto& term : out.terms) term.a = term.a * g;
    out.b = out.b * g + h;
    out.from += " + " + layer.name;
    return out;
  }

  // max(x, 0), and min(., cap) for ReLU6. On a value not yet requantized both
  // become the next requantization's clamp; on an integer value the cap must
  // be beyond its range (else the clipped value would leave the grid).
  Value relu(const Value& v, const std::string& what, std::optional<double> cap = std::nullopt) {
    if (v.affine) {
      Value out = v;
      out.relu = true;
      if (cap) out.cap = out.cap ? std::min(*out.cap, *cap) : *cap;
      out.from += cap ? " -> relu6" : " -> relu";
      return out;
    }
    const IntegerNode& src = net_.nodes[static_cast<size_t>(v.node)];
    if (cap && static_cast<double>(src.hi) * src.scale.abs().max().item<double>() > *cap)
      fail("layer '" + what + "' clips at " + std::to_string(*cap) + " a value already requantized (" + v.from +
           ") whose range goes beyond it; integerize needs the activation quantizer after the clipping layer");
    if (src.lo >= 0) return v;
    IntegerNode node;
    node.name = what;
    node.op = OpKind::Relu;
    node.inputs = {v.node};
    node.lo = 0;
    node.hi = std::max<int64_t>(src.hi, 0);
    node.scale = src.scale;
    node.bits = src.bits;
    node.is_signed = false;
    return int_value(add_node(node), v.from + " -> relu");
  }

  Value flatten(const Value& v, const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                const std::string& where) {
    if (in == out) return v;
    int64_t start = -1, end = -1;
    for (int64_t s = 1; s < static_cast<int64_t>(in.size()) && start < 0; ++s)
      for (int64_t e = s + 1; e < static_cast<int64_t>(in.size()); ++e) {
        std::vector<int64_t> shape(in.begin(), in.begin() + s);
        int64_t product = 1;
        for (int64_t d = s; d <= e; ++d) product *= in[static_cast<size_t>(d)];
        shape.push_back(product);
        shape.insert(shape.end(), in.begin() + e + 1, in.end());
        if (shape == out) {
          start = s;
          end = e;
          break;
        }
      }
    if (start < 0) fail(where + " reshapes in a way other than flattening trailing dims, which integerize does not support");
    const auto flat = [&](int source) {
      const IntegerNode& src = net_.nodes[static_cast<size_t>(source)];
      if (start <= 1 && src.scale.numel() > 1)
        fail(where + " flattens a per-channel scaled value (" + v.from + "); requantize it first");
      IntegerNode node = src;
      node.name = "flatten";
      node.origin = "";
      node.op = OpKind::Flatten;
      node.inputs = {source};
      node.weight = Tensor();
      node.weight_scale = Tensor();
      node.multipliers.clear();
      node.offset = Tensor();
      node.thresholds = Tensor();
      node.start_dim = start;
      node.end_dim = end == static_cast<int64_t>(in.size()) - 1 ? -1 : end;
      return add_node(node);
    };
    if (!v.affine) return int_value(flat(v.node), v.from + " -> flatten");
    if (start <= 1 && v.b.numel() > 1) fail(where + " flattens a per-channel value (" + v.from + "); requantize it first");
    Value out_value = v;
    for (auto& term : out_value.terms) {
      if (start <= 1 && term.a.numel() > 1)
        fail(where + " flattens a per-channel value (" + v.from + "); requantize it first");
      term.node = flat(term.node);
    }
    return out_value;
  }

  Value add(const Value& x, const Value& y, const std::string& consumer) {
    if (x.relu || y.relu)
      fail(consumer + " takes a sum whose operand went through a ReLU without requantization; "
                      "put an activation quantizer after that ReLU");
    Value out = to_affine(x);
    const Value other = to_affine(y);
    out.terms.insert(out.terms.end(), other.terms.begin(), other.terms.end());
    out.b = out.b + other.b;
    out.from = "(" + x.from + " + " + y.from + ")";
    return out;
  }

  // ---- requantization ----

  ActivationSpec activation_spec(nn::Quantizer& q, const std::string& layer, const std::string& role) {
    ActivationSpec spec;
    spec.bits = q.bits();
    const std::string type = graph::short_type_name(q.name());
    spec.what = type + " " + std::to_string(q.bits()) + "-bit (" + layer + " " + role + ")";
    const auto signed_range = [&](bool is_signed, int64_t bits, bool symmetric) {
      spec.is_signed = is_signed;
      if (is_signed) {
        spec.hi = pow2(bits - 1) - 1;
        spec.lo = symmetric ? -spec.hi : -pow2(bits - 1);
      } else {
        spec.lo = 0;
        spec.hi = pow2(bits) - 1;
      }
    };
    if (auto* p = dynamic_cast<nn::PactQuantizer*>(&q)) {
      const bool is_signed = p->signedness() == ops::Signedness::Signed;
      signed_range(is_signed, p->bits(), true);
      const float step = p->alpha().item<float>() / static_cast<float>(spec.hi);
      spec.step = step;
      // The rounding mode is not exposed: ask the quantizer.
      const float probe = q.forward(torch::full({1}, 0.75f * step)).item<float>();
      spec.rounding = probe == 0.0f ? Rounding::Floor : Rounding::Nearest;
    } else if (auto* l = dynamic_cast<nn::LsqQuantizer*>(&q)) {
      if (l->step().numel() != 1) fail("layer '" + layer + "' has a per-channel LSQ activation quantizer");
      signed_range(l->signedness() == ops::Signedness::Signed, l->bits(), false);
      spec.step = l->step().item<float>();
    } else if (auto* t = dynamic_cast<nn::TqtQuantizer*>(&q)) {
      const bool is_signed = t->signedness() == ops::Signedness::Signed;
      signed_range(is_signed, t->bits(), false);
      const double log2_t = t->log2_t().item<float>();
      spec.step = static_cast<float>(
          std::ldexp(1.0, static_cast<int>(std::ceil(log2_t)) - static_cast<int>(is_signed ? t->bits() - 1 : t->bits())));
    } else if (auto* s = dynamic_cast<nn::SteQuantizer*>(&q)) {
      if (s->n_levels() % 2 == 0)
        fail("layer '" + layer + "' has an STE quantizer with an even number of levels (" +
             std::to_string(s->n_levels()) + "), which integerize does not support");
      const double bound = s->abs_max().item<float>();
      spec.step = static_cast<float>(2.0 * bound / static_cast<double>(s->n_levels() - 1));
      spec.hi = (s->n_levels() - 1) / 2;
      spec.lo = -spec.hi;
      spec.is_signed = true;
    } else if (auto* tq = dynamic_cast<nn::TernaryQuantizer*>(&q); tq && tq->kind() == nn::TernaryQuantizer::Kind::Activations) {
      spec.lo = -1, spec.hi = 1, spec.is_signed = true;
      spec.thresholds = {{-tq->threshold(), false}, {tq->threshold(), true}};  // x >= -t, x > t
    } else if (auto* bq = dynamic_cast<nn::BinaryQuantizer*>(&q); bq && bq->kind() == nn::BinaryQuantizer::Kind::Activations) {
      spec.lo = -1, spec.hi = 1, spec.is_signed = true, spec.gain = 2;
      spec.thresholds = {{0.0, false}};  // sign(0) = +1
    } else {
      fail("layer '" + layer + "' has a " + type + " activation quantizer (" + role +
           "), which integerize does not support (supported: PactQuantizer, LsqQuantizer, TqtQuantizer, "
           "SteQuantizer with odd levels, ternary and binary activations)");
    }
    if (spec.thresholds.empty()) verify_spec(q, spec, layer);
    return spec;
  }

  // The formula integerize implements must be what the quantizer computes:
  // checked on points away from rounding boundaries.
  void verify_spec(nn::Quantizer& q, const ActivationSpec& spec, const std::string& layer) {
    if (auto* s = dynamic_cast<nn::SteQuantizer*>(&q); s && s->monitoring()) return;  // would record the probe
    const Tensor levels = torch::arange(spec.lo - 2, spec.hi + 3, torch::kDouble);
    Tensor x = torch::cat({levels + 0.3, levels - 0.3, levels + 0.7}).mul(spec.step).to(torch::kFloat);
    const Tensor got = q.forward(x).to(torch::kDouble).div(spec.step).round();
    Tensor want = x.to(torch::kDouble).div(spec.step);
    want = (spec.rounding == Rounding::Floor ? want.floor() : want.round()).clamp(spec.lo, spec.hi);
    if (!got.equal(want))
      fail("layer '" + layer + "': the " + graph::short_type_name(q.name()) +
           " does not compute the uniform quantization integerize derived from it");
  }

  Value quantize(const Value& v, nn::Quantizer& q, const std::string& layer, const std::string& role) {
    const ActivationSpec spec = activation_spec(q, layer, role);
    const Value a = to_affine(v);
    // Bound of |t| / 2^shift, to pick the largest safe shift.
    double bound = max_abs(a.b) / spec.step + 1;
    for (const auto& term : a.terms)
      bound += max_abs(term.a) / spec.step *
               static_cast<double>(max_abs(net_.nodes[static_cast<size_t>(term.node)].lo,
                                           net_.nodes[static_cast<size_t>(term.node)].hi));
    const int64_t shift = std::min<int64_t>(62, static_cast<int64_t>(std::floor(61.0 - std::log2(bound))));
    if (shift < 16) fail("layer '" + layer + "': the requantization range is too wide for int64 (" + spec.what + ")");
    const auto fixed = [&](const Tensor& real) { return real.div(spec.step).mul(std::ldexp(1.0, static_cast<int>(shift))).round().to(torch::kLong); };
    IntegerNode node;
    node.name = layer;
    node.origin = "requantizes " + a.from + (a.relu ? " (after relu)" : "") + " with " + spec.what;
    node.op = OpKind::Requant;
    for (const auto& term : a.terms) {
      node.inputs.push_back(term.node);
      node.multipliers.push_back(fixed(term.a));
    }
    node.offset = fixed(a.b);
    node.shift = shift;
    node.rounding = spec.rounding;
    node.lo = spec.lo;
    node.hi = spec.hi;
    node.scale = doubles({spec.step});
    node.bits = spec.bits;
    node.is_signed = spec.is_signed;
    if (!spec.thresholds.empty()) {
      std::vector<int64_t> ts;
      for (const auto& [t, strict] : spec.thresholds) {
        const double scaled = std::ldexp(t, static_cast<int>(shift));
        int64_t threshold = strict ? static_cast<int64_t>(std::floor(scaled)) + 1 : static_cast<int64_t>(std::ceil(scaled));
        // relu(x) >= T holds for every x when T <= 0; min(x, cap) >= T never when T > cap.
        if (a.relu && threshold <= 0) threshold = std::numeric_limits<int64_t>::min();
        if (a.cap && (strict ? t >= *a.cap : t > *a.cap)) threshold = std::numeric_limits<int64_t>::max();
        ts.push_back(threshold);
      }
      node.thresholds = torch::tensor(ts, torch::kLong).reshape({1, -1});
      node.threshold_gain = spec.gain;
    } else if (a.relu) {
      node.lo = std::max<int64_t>(node.lo, 0);
      // Rounding is monotone, so R(min(x, cap) / step) = min(R(x / step), R(cap / step)).
      if (a.cap) {
        const double level = *a.cap / spec.step;
        const auto capped = static_cast<int64_t>(spec.rounding == Rounding::Floor ? std::floor(level)
                                                                                  : std::nearbyint(level));
        node.hi = std::min(node.hi, capped);
      }
    }
    return int_value(add_node(node), layer);
  }

  // ---- helpers ----

  Value to_affine(const Value& v) const {
    if (v.affine) return v;
    Value out;
    out.affine = true;
    out.terms = {Term{v.node, net_.nodes[static_cast<size_t>(v.node)].scale}};
    out.b = doubles({0.0});
    out.from = v.from;
    return out;
  }

  static Value int_value(int node, std::string from) {
    Value v;
    v.node = node;
    v.from = std::move(from);
    return v;
  }

  static void check_int32(int64_t lo, int64_t hi, const std::string& layer) {
    if (lo < std::numeric_limits<int32_t>::min() || hi > std::numeric_limits<int32_t>::max())
      fail("layer '" + layer + "' could overflow int32");
  }

  int add_node(IntegerNode node) {
    net_.nodes.push_back(std::move(node));
    return static_cast<int>(net_.nodes.size()) - 1;
  }

  TraceBuffer& trace_;
  IntegerNetwork net_;
  std::unordered_map<const torch::nn::Module*, graph::Layer> layers_;
  std::unordered_map<const c10::TensorImpl*, Value> values_;
  std::vector<Tensor> keep_;  // keeps traced tensors alive, so no TensorImpl address is reused
  size_t window_begin_ = 0;
};

class RestoreTraining {
 public:
  explicit RestoreTraining(torch::nn::Module& network) : network_(network), training_(network.is_training()) {}
  ~RestoreTraining() { network_.train(training_); }
  RestoreTraining(const RestoreTraining&) = delete;
  RestoreTraining& operator=(const RestoreTraining&) = delete;

 private:
  torch::nn::Module& network_;
  bool training_;
};

}  // namespace


InputQuantization infer_input_quantization(const torch::Tensor& samples, int64_t bits) {
  TORCH_CHECK(bits >= 2 && bits <= 16, "infer_input_quantization: bits in [2, 16], got ", bits);
  if (!samples.defined() || samples.numel() == 0) fail("no input samples to derive the input's quantization from");
  const Tensor flat = samples.detach().to(torch::kDouble).flatten();
  const Tensor values = std::get<0>(torch::_unique(flat, /*sorted=*/true));
  const double low = values[0].item<double>();
  const double high = values[-1].item<double>();
  if (!(high > low)) fail("the input samples are constant; cannot derive the input's quantization");
  const int64_t levels = pow2(bits) - 1;
  double step = (high - low) / static_cast<double>(levels);
  if (values.numel() > 1) {
    // Fewer distinct values than levels (a small sample): their own grid, if they sit on one.
    const double gap = (values.slice(0, 1) - values.slice(0, 0, -1)).min().item<double>();
    const double grid = (high - low) / std::round((high - low) / gap);
    const Tensor offsets = (values - low) / grid;
    if (grid > step && (offsets - offsets.round()).abs().max().item<double>() < 1e-3) step = grid;
  }
  InputQuantization input;
  input.step = step;
  input.bits = bits;
  const int64_t zero = static_cast<int64_t>(std::llround(-low / step));
  input.lo = -zero;
  input.hi = levels - zero;
  return input;
}

IntegerNetwork integerize(torch::nn::Module& network, const Forward& forward, const torch::Tensor& example_input,
                          const InputQuantization& input) {
  TORCH_CHECK(std::isfinite(input.step) && input.step > 0 && input.lo < input.hi,
              "integerize: the input quantization needs a positive step and lo < hi");
  RestoreTraining restore(network);
  network.eval();
  torch::NoGradGuard no_grad;
  TraceBuffer trace;
  Builder builder(network, trace, input);
  const Tensor x = example_input.detach();
  builder.bind_input(x);
  Tensor output;
  {
    Tracing tracing(trace);
    nn::ObserveLayers observing(builder);
    output = forward(x);
  }
  return builder.finish(output);
}

}  // namespace quantlib::deploy

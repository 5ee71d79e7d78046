#include "quantlib/deploy/integerize/Builder.h"

#include <limits>

namespace quantlib::deploy::detail {

namespace {

constexpr const char* kSupportedOps =
    "aten::add, aten::add_, aten::flatten, aten::view, aten::reshape, aten::relu, aten::relu_, aten::contiguous, "
    "aten::clone, aten::detach, aten::dropout";

}  // namespace

Builder::Builder(torch::nn::Module& network, TraceBuffer& trace, const InputQuantization& input) : trace_(trace) {
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

void Builder::bind_input(const Tensor& x) {
  keep_.push_back(x);
  Value v;
  v.node = 0;
  v.from = "input";
  values_[x.unsafeGetTensorImpl()] = v;
}

void Builder::observe(const torch::nn::Module& module, const Tensor& input, const Tensor& output) {
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

IntegerNetwork Builder::finish(const Tensor& output) {
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

bool Builder::produces(const OpEvent& event, const c10::TensorImpl* impl) {
  for (const auto& t : event.outputs)
    if (t.unsafeGetTensorImpl() == impl) return true;
  return false;
}

Value Builder::resolve(const Tensor& tensor, size_t before, const std::string& consumer) {
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

void Builder::apply_event(size_t index, const std::string& consumer) {
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

Value Builder::apply_op(const OpEvent& event, const std::vector<Value>& in, const std::string& consumer) {
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

Value Builder::apply_layer(const graph::Layer& layer, Value v, const Tensor& input, const Tensor& output) {
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

// max(x, 0), and min(., cap) for ReLU6. On a value not yet requantized both
// become the next requantization's clamp; on an integer value the cap must
// be beyond its range (else the clipped value would leave the grid).
Value Builder::relu(const Value& v, const std::string& what, std::optional<double> cap) {
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

Value Builder::flatten(const Value& v, const std::vector<int64_t>& in, const std::vector<int64_t>& out,
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

Value Builder::add(const Value& x, const Value& y, const std::string& consumer) {
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

Value Builder::to_affine(const Value& v) const {
  if (v.affine) return v;
  Value out;
  out.affine = true;
  out.terms = {Term{v.node, net_.nodes[static_cast<size_t>(v.node)].scale}};
  out.b = doubles({0.0});
  out.from = v.from;
  return out;
}

Value Builder::int_value(int node, std::string from) {
  Value v;
  v.node = node;
  v.from = std::move(from);
  return v;
}

void Builder::check_int32(int64_t lo, int64_t hi, const std::string& layer) {
  if (lo < std::numeric_limits<int32_t>::min() || hi > std::numeric_limits<int32_t>::max())
    fail("layer '" + layer + "' could overflow int32");
}

int Builder::add_node(IntegerNode node) {
  net_.nodes.push_back(std::move(node));
  return static_cast<int>(net_.nodes.size()) - 1;
}

}  // namespace quantlib::deploy::detail

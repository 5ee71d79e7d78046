#include "quantlib/deploy/integerize/Builder.h"

#include <limits>
#include <variant>

#include <torch/torch.h>

#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/nn/ZeroPadShortcut.h"

namespace quantlib::deploy::detail {

// The layers integerize lowers, by type; quantizer modules called as layers
// and nested Blocks are handled before and after the table.
const std::vector<Builder::LayerLowering>& Builder::layer_lowerings() {
  static const std::vector<LayerLowering> table{
      {"Conv2d", &Builder::conv_or_linear},
      {"Linear", &Builder::conv_or_linear},
      {"BatchNorm2d", &Builder::batch_norm},
      {"BatchNorm1d", &Builder::batch_norm},
      {"ReLU", &Builder::relu_layer},
      {"ReLU6", &Builder::relu6_layer},
      {"ZeroPadShortcut", &Builder::zero_pad_shortcut},
      {"MaxPool2d", &Builder::max_pool},
      {"AvgPool2d", &Builder::avg_pool},
      {"AdaptiveAvgPool2d", &Builder::adaptive_avg_pool},
      {"Dropout", &Builder::identity_layer},
      {"Dropout2d", &Builder::identity_layer},
      {"Identity", &Builder::identity_layer},
      {"Flatten", &Builder::flatten_layer},
  };
  return table;
}

std::string Builder::supported_layers() {
  std::string text;
  for (const auto& entry : layer_lowerings()) text += std::string(entry.type) + ", ";
  return text + "quantizers, nested Blocks";
}

Value Builder::layer_op(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output) {
  for (const auto& entry : layer_lowerings())
    if (layer.is(entry.type)) return (this->*entry.lower)(layer, v, input, output);
  if (auto* quantizer = dynamic_cast<nn::Quantizer*>(layer.module.get()))
    return quantizer->enabled() ? quantize(v, *quantizer, layer.name, "layer") : v;
  fail("layer '" + layer.name + "' is a " + layer.type + ", which integerize does not support (supported layers: " +
       supported_layers() + ")");
}

Value Builder::relu_layer(const graph::Layer& layer, const Value& v, const Tensor&, const Tensor&) {
  return relu(v, layer.name);
}

Value Builder::relu6_layer(const graph::Layer& layer, const Value& v, const Tensor&, const Tensor&) {
  return relu(v, layer.name, 6.0);
}

Value Builder::identity_layer(const graph::Layer&, const Value& v, const Tensor&, const Tensor&) { return v; }

Value Builder::flatten_layer(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor& output) {
  return flatten(v, input.sizes().vec(), output.sizes().vec(), "layer '" + layer.name + "'");
}

Value Builder::max_pool(const graph::Layer& layer, const Value& v, const Tensor&, const Tensor&) {
  const auto& o = dynamic_cast<torch::nn::MaxPool2dImpl&>(*layer.module).options;
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

Value Builder::avg_pool(const graph::Layer& layer, const Value& v, const Tensor&, const Tensor&) {
  const auto& o = dynamic_cast<torch::nn::AvgPool2dImpl&>(*layer.module).options;
  if (o.ceil_mode() || o.divisor_override() || (!o.count_include_pad() && ((*o.padding())[0] || (*o.padding())[1])))
    fail("layer '" + layer.name + "' (AvgPool2d) uses ceil_mode, divisor_override or count_include_pad=false, "
         "which integerize does not support");
  return sum_pool(layer, v, *o.kernel_size(), *o.stride(), *o.padding());
}

Value Builder::adaptive_avg_pool(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor&) {
  const auto& o = dynamic_cast<torch::nn::AdaptiveAvgPool2dImpl&>(*layer.module).options;
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

IntegerNode Builder::pool_node(const graph::Layer& layer, OpKind op, at::IntArrayRef kernel,
                               at::IntArrayRef stride, at::IntArrayRef padding) {
  IntegerNode node;
  node.name = layer.name;
  node.origin = layer.type;
  node.op = op;
  node.kernel = {kernel[0], kernel[1]};
  node.stride = {stride[0], stride[1]};
  node.padding = {padding[0], padding[1]};
  return node;
}

Value Builder::sum_pool(const graph::Layer& layer, const Value& v, at::IntArrayRef kernel,
                        at::IntArrayRef stride, at::IntArrayRef padding) {
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
Value Builder::zero_pad_shortcut(const graph::Layer& layer, const Value& v, const Tensor&, const Tensor&) {
  const auto& shortcut = dynamic_cast<const nn::ZeroPadShortcutImpl&>(*layer.module);
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

Value Builder::conv_or_linear(const graph::Layer& layer, const Value& v, const Tensor& input, const Tensor&) {
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
Tensor Builder::weight_steps(nn::Quantizer& quantizer, const Tensor& wq, const std::string& name) {
  const nn::IntegerGrid grid = quantizer.integer_grid();
  Tensor steps;
  if (grid.form == nn::IntegerGrid::Form::Uniform) {
    steps = grid.step;
  } else if (grid.form == nn::IntegerGrid::Form::Multiples) {
    // Every value is an integer multiple of the smallest nonzero magnitude
    // of its row (powers of two, or one level).
    const Tensor rows = wq.abs().reshape({wq.size(0), -1});
    const Tensor masked = torch::where(rows.gt(0), rows, torch::full_like(rows, std::numeric_limits<double>::infinity()));
    steps = std::get<0>(masked.min(1));
    steps = torch::where(torch::isinf(steps), torch::ones_like(steps), steps);
  } else {
    fail("layer '" + name + "' has a " + graph::short_type_name(quantizer.name()) +
         " weight quantizer integerize cannot lower: " +
         (grid.form == nn::IntegerGrid::Form::None ? grid.reason : "its grid is a set of thresholds"));
  }
  if (steps.numel() > 1 && steps.eq(steps[0]).all().item<bool>()) steps = steps.slice(0, 0, 1).clone();
  if (!(steps.gt(0).all().item<bool>()))
    fail("layer '" + name + "' has a weight step that is not positive");
  return steps;
}

Value Builder::batch_norm(const graph::Layer& layer, const Value& v, const Tensor&, const Tensor&) {
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

}  // namespace quantlib::deploy::detail

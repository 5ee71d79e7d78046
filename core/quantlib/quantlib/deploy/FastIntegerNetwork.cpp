#include "quantlib/deploy/FastIntegerNetwork.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <utility>
#include <variant>

#include <torch/torch.h>

#include "quantlib/deploy/fast/ByteKernels.h"
#include "quantlib/deploy/fast/OneDnnInt8.h"

namespace quantlib::deploy {

using torch::Tensor;

namespace {
constexpr int64_t kByteLevels = 256;
constexpr int64_t kFloatExact = int64_t{1} << 24;  // float32 holds every integer below
constexpr int64_t kInt32Limit = int64_t{1} << 31;
constexpr int64_t kSliceBytes = int64_t{4} << 20;  // see forward()
}  // namespace

namespace fast {

// How a node's output is held on the fast path.
enum class Form {
  bytes,         // uint8 v + zero_point, channels innermost
  accumulators,  // float32 or int32 holding v, channels innermost
  exact,         // the exact executor's int32 (float32 for Dequant) tensor
};

// One slice of a product's input channels (or features) with its packed weight.
struct ProductPart {
  int64_t begin = 0;
  int64_t end = 0;
  std::shared_ptr<const fast::Int8Conv> conv;
  std::shared_ptr<const fast::Int8Linear> linear;
};

}  // namespace fast

using fast::Form;
using fast::ProductPart;

struct FastIntegerNetwork::Plan {
  Plan() = default;
  Plan(Form form, int64_t zero_point, std::vector<ProductPart> parts = {})
      : form(form), zero_point(zero_point), parts(std::move(parts)) {}

  Form form = Form::exact;
  int64_t zero_point = 0;
  std::vector<ProductPart> parts;
  // A Requant whose only reader is a max pool, with multipliers >= 0: its
  // requantization never decreases, so it commutes with the maximum, and
  // forward() pools the float32 accumulators first (a quarter of the
  // elements to requantize behind a 2x2 pool) and hands the bytes to the
  // pool node. run() computes each node as it is.
  std::optional<size_t> pool_first;
  bool pooled_by_requant = false;
};

namespace {

bool fits_bytes(const IntegerNode& node) { return node.hi - node.lo < kByteLevels; }

std::string wider_than_bytes(const IntegerNode& node) {
  return "its range [" + std::to_string(node.lo) + ", " + std::to_string(node.hi) + "] needs more than 8 bits";
}

// Slices of the input channels (groups == 1) whose accumulators each stay
// below 2^24 for every output channel, with oneDNN's raw uint8 x int8 sums
// below 2^31; nullopt when one channel alone is too much or a grouped
// convolution would need slicing.
std::optional<std::vector<std::pair<int64_t, int64_t>>> channel_slices(const IntegerNode& node,
                                                                       const IntegerNode& input) {
  const int64_t magnitude = std::max({std::abs(input.lo), std::abs(input.hi), int64_t{1}});
  // |w| summed over each (output channel, input channel)'s kernel window: [Cout, Cin / groups].
  const Tensor magnitudes = node.weight.to(torch::kLong).abs();
  const Tensor sums = (magnitudes.dim() > 2 ? magnitudes.flatten(2).sum(2) : magnitudes).contiguous();
  const int64_t outputs = sums.size(0), inputs = sums.size(1);
  const int64_t* table = sums.data_ptr<int64_t>();
  const auto fits = [&](int64_t total) {
    return total * magnitude < kFloatExact && total * (kByteLevels - 1) < kInt32Limit;
  };
  std::vector<std::pair<int64_t, int64_t>> slices;
  std::vector<int64_t> running(static_cast<size_t>(outputs), 0);
  int64_t begin = 0;
  for (int64_t i = 0; i < inputs; ++i) {
    bool room = true;
    for (int64_t o = 0; o < outputs && room; ++o) room = fits(running[static_cast<size_t>(o)] + table[o * inputs + i]);
    if (!room) {
      if (i == begin || node.groups != 1) return std::nullopt;
      slices.emplace_back(begin, i);
      begin = i;
      std::fill(running.begin(), running.end(), 0);
      for (int64_t o = 0; o < outputs; ++o)
        if (!fits(table[o * inputs + i])) return std::nullopt;
    }
    for (int64_t o = 0; o < outputs; ++o) running[static_cast<size_t>(o)] += table[o * inputs + i];
  }
  slices.emplace_back(begin, inputs);
  return slices;
}

// The plan of a Conv2d / Linear node, or why it stays exact.
std::variant<std::vector<ProductPart>, std::string> plan_product(const IntegerNode& node, const IntegerNode& input,
                                                                 Form input_form, int64_t input_zero_point) {
  if (input_form != Form::bytes)
    return "its input (" + input.name + ", [" + std::to_string(input.lo) + ", " + std::to_string(input.hi) +
           "]) is not an 8-bit activation";
  if (node.weight.scalar_type() != torch::kChar) return "its integer weights need more than 8 bits";
  const auto slices = channel_slices(node, input);
  if (!slices)
    return "its accumulators can reach 2^24 within one input channel" +
           std::string(node.groups != 1 ? " or group" : "");
  std::vector<ProductPart> parts;
  for (const auto& [begin, end] : *slices) {
    ProductPart part{begin, end, nullptr, nullptr};
    const Tensor weight = slices->size() == 1 ? node.weight : node.weight.slice(1, begin, end);
    if (node.op == OpKind::Conv2d)
      part.conv = std::make_shared<const fast::Int8Conv>(
          weight, input_zero_point, fast::ConvGeometry{node.stride, node.padding, node.dilation, node.groups});
    else
      part.linear = std::make_shared<const fast::Int8Linear>(weight, input_zero_point);
    parts.push_back(std::move(part));
  }
  return parts;
}

}  // namespace

FastIntegerNetwork::FastIntegerNetwork(IntegerNetwork network) : network_(std::move(network)) {
  TORCH_CHECK(!network_.nodes.empty() && network_.nodes.front().op == OpKind::Input,
              "FastIntegerNetwork: node 0 must be the Input");
  torch::NoGradGuard no_grad;
  const bool kernels = !fast::int8_kernels_unavailable();
  for (const auto& node : network_.nodes) {
    Plan plan;
    std::string reason;
    const auto input_plan = [&](size_t k) -> const Plan& {
      return plans_.at(static_cast<size_t>(node.inputs.at(k)));
    };
    const auto all_inputs = [&](auto predicate) {
      return std::all_of(node.inputs.begin(), node.inputs.end(),
                         [&](int id) { return predicate(plans_.at(static_cast<size_t>(id))); });
    };
    switch (node.op) {
      case OpKind::Input:
        if (fits_bytes(node))
          plan = Plan(Form::bytes, -node.lo);
        else
          reason = wider_than_bytes(node);
        break;
      case OpKind::Conv2d:
      case OpKind::Linear: {
        const IntegerNode& input = network_.nodes.at(static_cast<size_t>(node.inputs.at(0)));
        auto product = plan_product(node, input, input_plan(0).form, input_plan(0).zero_point);
        if (auto* parts = std::get_if<std::vector<ProductPart>>(&product))
          plan = Plan(Form::accumulators, 0, std::move(*parts));
        else
          reason = std::get<std::string>(product);
        break;
      }
      case OpKind::Requant:
        if (!fits_bytes(node))
          reason = wider_than_bytes(node);
        else if (!all_inputs([](const Plan& p) { return p.form != Form::exact; }))
          reason = "an input runs on the exact executor";
        else
          plan = Plan(Form::bytes, -node.lo);
        break;
      case OpKind::MaxPool2d:
      case OpKind::SumPool2d:
        if (input_plan(0).form == Form::bytes)
          plan = node.op == OpKind::MaxPool2d ? Plan(Form::bytes, input_plan(0).zero_point)
                                              : Plan(Form::accumulators, 0);
        else
          reason = "its input is not an 8-bit activation";
        break;
      case OpKind::Relu:
        if (input_plan(0).form != Form::exact) plan = Plan(input_plan(0).form, input_plan(0).zero_point);
        else reason = "its input runs on the exact executor";
        break;
      case OpKind::Flatten:
        if (node.start_dim != 1 || node.end_dim != -1)
          reason = "it keeps dimensions after the channels (start_dim " + std::to_string(node.start_dim) +
                   ", end_dim " + std::to_string(node.end_dim) + ")";
        else if (input_plan(0).form == Form::exact)
          reason = "its input runs on the exact executor";
        else
          plan = Plan(input_plan(0).form, input_plan(0).zero_point);
        break;
      case OpKind::Dequant: break;  // float output: the exact executor's arithmetic, on converted inputs
    }
    if (!kernels) {
      plan = {};
      reason = *fast::int8_kernels_unavailable();
    }
    if (plan.form == Form::exact && node.op != OpKind::Dequant)
      exact_layers_.push_back({node.name, op_name(node.op), reason});
    plans_.push_back(std::move(plan));
  }
  plan_pooling_first();
}

void FastIntegerNetwork::plan_pooling_first() {
  std::vector<std::vector<size_t>> readers(network_.nodes.size());
  for (size_t i = 0; i < network_.nodes.size(); ++i)
    for (const int id : network_.nodes[i].inputs) readers.at(static_cast<size_t>(id)).push_back(i);
  for (size_t r = 0; r < network_.nodes.size(); ++r) {
    const IntegerNode& node = network_.nodes[r];
    if (node.op != OpKind::Requant || plans_[r].form != Form::bytes || node.inputs.size() != 1 ||
        readers[r].size() != 1)
      continue;
    const size_t pool = readers[r][0];
    const Plan& input = plans_[static_cast<size_t>(node.inputs[0])];
    // float32 accumulators (one product part).
    if (network_.nodes[pool].op != OpKind::MaxPool2d || plans_[pool].form != Form::bytes ||
        input.form != Form::accumulators || input.parts.size() != 1 || !node.multipliers[0].ge(0).all().item<bool>())
      continue;
    plans_[r].pool_first = pool;
    plans_[pool].pooled_by_requant = true;
  }
}

FastIntegerNetwork::~FastIntegerNetwork() = default;
FastIntegerNetwork::FastIntegerNetwork(FastIntegerNetwork&&) noexcept = default;
FastIntegerNetwork& FastIntegerNetwork::operator=(FastIntegerNetwork&&) noexcept = default;

namespace {

// A fast-path value in the exact executor's form.
Tensor to_exact(const Tensor& value, Form form, int64_t zero_point) {
  switch (form) {
    case Form::bytes: return (value.to(torch::kInt) - zero_point).contiguous();
    case Form::accumulators: return value.to(torch::kInt).contiguous();
    case Form::exact: return value;
  }
  return value;
}

Tensor run_product(const Tensor& x, const std::vector<ProductPart>& parts) {
  const auto run_part = [&](const ProductPart& part) {
    const Tensor slice = parts.size() == 1 ? x : x.slice(1, part.begin, part.end);
    return part.conv ? (*part.conv)(slice) : (*part.linear)(slice);
  };
  if (parts.size() == 1) return run_part(parts[0]);
  // Each slice's float32 accumulators are exact; their sum need not be: add as int32.
  Tensor sum = run_part(parts[0]).to(torch::kInt);
  for (size_t p = 1; p < parts.size(); ++p) sum.add_(run_part(parts[p]).to(torch::kInt));
  return sum;
}

}  // namespace

std::vector<Tensor> FastIntegerNetwork::execute(const Tensor& float_input, bool every_node) const {
  torch::NoGradGuard no_grad;
  std::vector<Tensor> values;
  values.reserve(network_.nodes.size());
  Tensor pooled;  // a max pool's output made by the Requant before it (Plan::pool_first)
  for (size_t i = 0; i < network_.nodes.size(); ++i) {
    const IntegerNode& node = network_.nodes[i];
    const Plan& plan = plans_[i];
    const auto input = [&](size_t k) -> const Tensor& { return values.at(static_cast<size_t>(node.inputs.at(k))); };
    const auto input_plan = [&](size_t k) -> const Plan& { return plans_.at(static_cast<size_t>(node.inputs.at(k))); };
    if (plan.form == Form::exact) {
      std::vector<Tensor> in;
      for (size_t k = 0; k < node.inputs.size(); ++k)
        in.push_back(to_exact(input(k), input_plan(k).form, input_plan(k).zero_point));
      values.push_back(run_node(node, in, float_input));
      continue;
    }
    switch (node.op) {
      case OpKind::Input:
        values.push_back(
            fast::channels_innermost((run_node(node, {}, float_input) + plan.zero_point).to(torch::kByte)));
        break;
      case OpKind::Conv2d:
      case OpKind::Linear: values.push_back(run_product(input(0), plan.parts)); break;
      case OpKind::Requant: {
        if (plan.pool_first && !every_node) {
          pooled = fast::max_pool_requant_to_bytes(input(0), network_.nodes[*plan.pool_first], node, plan.zero_point);
          values.emplace_back();  // read by the pool alone, which takes `pooled`
          break;
        }
        std::vector<fast::ChannelsInnermostValue> in;
        for (size_t k = 0; k < node.inputs.size(); ++k) in.push_back({input(k), input_plan(k).zero_point});
        values.push_back(fast::requant_to_bytes(in, node, plan.zero_point));
        break;
      }
      case OpKind::MaxPool2d:
        values.push_back(plan.pooled_by_requant && !every_node ? std::move(pooled)
                                                               : fast::max_pool_bytes(input(0), node));
        break;
      case OpKind::SumPool2d: values.push_back(fast::sum_pool_bytes(input(0), input_plan(0).zero_point, node)); break;
      case OpKind::Relu:
        values.push_back(plan.form == Form::bytes ? input(0).clamp_min(plan.zero_point) : input(0).clamp_min(0));
        break;
      case OpKind::Flatten: values.push_back(input(0).contiguous().flatten(1)); break;
      case OpKind::Dequant: break;  // always exact (above)
    }
  }
  if (every_node)
    for (size_t i = 0; i < values.size(); ++i) values[i] = to_exact(values[i], plans_[i].form, plans_[i].zero_point);
  return values;
}

// A large batch runs in slices whose largest value (a layer's float32
// accumulators, the biggest) stays within the CPU's caches: one pass over
// memory-bound accumulators then costs cache bandwidth, not DRAM bandwidth,
// which on a 1000-image SimpleCNN batch halves the time. The first few
// samples run alone to measure that value per sample.
Tensor FastIntegerNetwork::forward(const Tensor& float_input) const {
  const int64_t samples = float_input.size(0);
  if (samples == 0) return network_.forward(float_input);
  const int64_t probe = std::min<int64_t>(samples, 8);
  const std::vector<Tensor> first = execute(float_input.slice(0, 0, probe), false);
  if (probe == samples) return first.back();
  int64_t largest = 1;
  for (const auto& value : first)
    if (value.defined()) largest = std::max<int64_t>(largest, static_cast<int64_t>(value.nbytes()));
  const int64_t slice = std::max<int64_t>(probe, kSliceBytes * probe / largest);
  std::vector<Tensor> outputs{first.back()};
  for (int64_t begin = probe; begin < samples; begin += slice)
    outputs.push_back(execute(float_input.slice(0, begin, std::min(samples, begin + slice)), false).back());
  return torch::cat(outputs);
}

std::vector<Tensor> FastIntegerNetwork::run(const Tensor& float_input) const { return execute(float_input, true); }

const std::vector<FastIntegerNetwork::ExactLayer>& FastIntegerNetwork::exact_layers() const { return exact_layers_; }

const std::optional<std::string>& FastIntegerNetwork::kernels_unavailable() {
  return fast::int8_kernels_unavailable();
}

std::string FastIntegerNetwork::describe() const {
  std::ostringstream out;
  if (const auto& reason = kernels_unavailable()) {
    out << "every layer on the exact executor: " << *reason;
    return out.str();
  }
  int64_t products = 0, fast_products = 0;
  for (size_t i = 0; i < plans_.size(); ++i) {
    const OpKind op = network_.nodes[i].op;
    if (op != OpKind::Conv2d && op != OpKind::Linear) continue;
    ++products;
    fast_products += plans_[i].form != Form::exact;
  }
  out << fast_products << " of " << products << " conv/linear layers on oneDNN int8 kernels";
  if (!exact_layers_.empty()) {
    out << "; on the exact executor:";
    for (const auto& layer : exact_layers_) out << " " << layer.name << " (" << layer.op << ": " << layer.reason << ")";
  }
  return out.str();
}

}  // namespace quantlib::deploy

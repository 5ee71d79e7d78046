#include "quantlib/deploy/integerize/Builder.h"

#include <cmath>
#include <limits>

namespace quantlib::deploy::detail {

ActivationSpec Builder::activation_spec(nn::Quantizer& q, const std::string& layer, const std::string& role) {
  ActivationSpec spec;
  spec.bits = q.bits();
  const std::string type = graph::short_type_name(q.name());
  spec.what = type + " " + std::to_string(q.bits()) + "-bit (" + layer + " " + role + ")";
  spec.grid = q.integer_grid();
  const nn::IntegerGrid& grid = spec.grid;
  const std::string cannot =
      "layer '" + layer + "' has a " + type + " activation quantizer (" + role + ") integerize cannot lower: ";
  switch (grid.form) {
    case nn::IntegerGrid::Form::Uniform:
      if (grid.step.numel() != 1) fail(cannot + "it has one step per channel");
      spec.step = static_cast<float>(grid.step.item<double>());
      verify_spec(q, spec, layer);
      break;
    case nn::IntegerGrid::Form::Thresholds:
      break;
    case nn::IntegerGrid::Form::Multiples:
      fail(cannot + "its levels follow its values, not a fixed grid of its input");
    case nn::IntegerGrid::Form::None:
      fail(cannot + grid.reason);
  }
  return spec;
}

void Builder::verify_spec(nn::Quantizer& q, const ActivationSpec& spec, const std::string& layer) {
  const nn::IntegerGrid& grid = spec.grid;
  const Tensor levels = torch::arange(grid.lo - 2, grid.hi + 3, torch::kDouble);
  Tensor x = torch::cat({levels + 0.3, levels - 0.3, levels + 0.7}).mul(spec.step).to(torch::kFloat);
  const Tensor got = q.quantized(x).to(torch::kDouble).div(spec.step).round();
  Tensor want = x.to(torch::kDouble).div(spec.step);
  want = (grid.rounding == Rounding::Floor ? want.floor() : want.round()).clamp(grid.lo, grid.hi);
  if (!got.equal(want))
    fail("layer '" + layer + "': the " + graph::short_type_name(q.name()) +
         " does not compute the uniform quantization integerize derived from it");
}

Value Builder::quantize(const Value& v, nn::Quantizer& q, const std::string& layer, const std::string& role) {
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
  node.rounding = spec.grid.rounding;
  node.lo = spec.grid.lo;
  node.hi = spec.grid.hi;
  node.scale = doubles({spec.step});
  node.bits = spec.bits;
  node.is_signed = spec.grid.is_signed();
  if (spec.grid.form == nn::IntegerGrid::Form::Thresholds) {
    const auto integer_threshold = [&](double t, bool strict) {
      const double scaled = std::ldexp(t, static_cast<int>(shift));
      int64_t threshold = strict ? static_cast<int64_t>(std::floor(scaled)) + 1 : static_cast<int64_t>(std::ceil(scaled));
      // relu(x) >= T holds for every x when T <= 0; min(x, cap) >= T never when T > cap.
      if (a.relu && threshold <= 0) threshold = std::numeric_limits<int64_t>::min();
      if (a.cap && (strict ? t >= *a.cap : t > *a.cap)) threshold = std::numeric_limits<int64_t>::max();
      return threshold;
    };
    std::vector<int64_t> ts;
    int64_t rows = 1;
    if (spec.grid.channel_thresholds.defined()) {
      // Per-channel thresholds (RSign), each reached at x >= value.
      const Tensor values = spec.grid.channel_thresholds;
      rows = values.size(0);
      int64_t channels = a.b.numel();
      for (const auto& term : a.terms) channels = std::max<int64_t>(channels, term.a.numel());
      if (channels > 1 && rows != channels)
        fail("layer '" + layer + "': " + spec.what + " has " + std::to_string(rows) + " channel thresholds for " +
             std::to_string(channels) + " channels");
      const auto* data = values.data_ptr<double>();
      for (int64_t i = 0; i < values.numel(); ++i) ts.push_back(integer_threshold(data[i], false));
    } else {
      for (const auto& [t, strict] : spec.grid.thresholds) ts.push_back(integer_threshold(t, strict));
    }
    node.thresholds = torch::tensor(ts, torch::kLong).reshape({rows, -1});
    node.threshold_gain = spec.grid.gain;
  } else if (a.relu) {
    node.lo = std::max<int64_t>(node.lo, 0);
    // Rounding is monotone, so R(min(x, cap) / step) = min(R(x / step), R(cap / step)).
    if (a.cap) {
      const double level = *a.cap / spec.step;
      const auto capped = static_cast<int64_t>(spec.grid.rounding == Rounding::Floor ? std::floor(level)
                                                                                     : std::nearbyint(level));
      node.hi = std::min(node.hi, capped);
    }
  }
  return int_value(add_node(node), layer);
}

}  // namespace quantlib::deploy::detail

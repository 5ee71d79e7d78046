#include "quantlib/recipes/QuantizerSpec.h"

#include <cmath>

#include "quantlib/algorithms/AnaController.h"
#include "quantlib/algorithms/EpochSwitchController.h"
#include "quantlib/algorithms/InqController.h"
#include "quantlib/nn/AnaQuantizer.h"
#include "quantlib/nn/BinaryQuantizer.h"
#include "quantlib/nn/InqQuantizer.h"
#include "quantlib/nn/LsqQuantizer.h"
#include "quantlib/nn/TernaryQuantizer.h"
#include "quantlib/nn/UniformWeightQuantizer.h"
#include "quantlib/nn/PactQuantizer.h"
#include "quantlib/nn/SteQuantizer.h"
#include "quantlib/nn/TqtQuantizer.h"

namespace quantlib::recipes {

using quantlab::Params;

namespace {

constexpr int64_t kMaxBits = 24;

std::string role_text(Role role) { return role == Role::Weight ? "weight" : "activation"; }

// ---- shared keys -----------------------------------------------------------

ops::Signedness read_signedness(const Params& spec, Role role) {
  // Weights are symmetric around zero; activations after a ReLU are not.
  return spec.get<bool>("signed", role == Role::Weight) ? ops::Signedness::Signed : ops::Signedness::Unsigned;
}

int64_t read_bits(const Params& spec, ops::Signedness signedness, int64_t fallback) {
  const int64_t bits = spec.get<int64_t>("bits", fallback);
  const int64_t min_bits = signedness == ops::Signedness::Signed ? 2 : 1;
  if (bits < min_bits || bits > kMaxBits)
    spec.fail("bits", "an integer in [" + std::to_string(min_bits) + ", " + std::to_string(kMaxBits) + "] for a " +
                          (signedness == ops::Signedness::Signed ? "signed" : "unsigned") + " quantizer");
  return bits;
}

int read_start_epoch(const Params& spec, int minimum = 0) {
  const int64_t epoch = spec.get<int64_t>("start_epoch", minimum);
  if (epoch < minimum) spec.fail("start_epoch", "an epoch >= " + std::to_string(minimum));
  return static_cast<int>(epoch);
}

// per_channel: true gives one scale per output channel (dim 0 of the weight).
bool read_per_channel(const Params& spec, Role role) {
  const bool per_channel = spec.get<bool>("per_channel", false);
  if (per_channel && role != Role::Weight) spec.fail("per_channel", "false: activations are quantized per tensor");
  return per_channel;
}

int64_t channels(bool per_channel, const torch::Tensor& weight) {
  return per_channel && weight.defined() ? weight.size(0) : 0;
}

void require_weight(const Params& spec, Role role, const std::string& algorithm) {
  if (role != Role::Weight) spec.fail("algorithm", "an activation algorithm; " + algorithm + " quantizes weights");
}

template <typename Enum>
Enum read_choice(const Params& spec, const std::string& key, const std::string& fallback,
                 const std::vector<std::pair<std::string, Enum>>& choices) {
  const std::string value = spec.get<std::string>(key, fallback);
  std::string names;
  for (const auto& [name, choice] : choices) {
    if (name == value) return choice;
    names += (names.empty() ? "" : ", ") + name;
  }
  spec.fail(key, "one of " + names);
}

// ---- one reader per algorithm: parse() checks through it, make() builds from it

struct PactOptions {
  int64_t bits;
  ops::Signedness signedness;
  double alpha;
  ops::Rounding rounding;
};

PactOptions read_pact(const Params& spec, Role role) {
  spec.only({"algorithm", "bits", "signed", "alpha", "rounding", "start_epoch"});
  PactOptions options{};
  options.signedness = read_signedness(spec, role);
  options.bits = read_bits(spec, options.signedness, 8);
  options.alpha = spec.get<double>("alpha", 6.0);
  if (!(std::isfinite(options.alpha) && options.alpha > 0)) spec.fail("alpha", "a positive initial clipping bound");
  const std::string rounding = spec.get<std::string>("rounding", "nearest");
  if (rounding != "nearest" && rounding != "floor") spec.fail("rounding", "nearest or floor");
  options.rounding = rounding == "floor" ? ops::Rounding::Floor : ops::Rounding::Nearest;
  return options;
}

struct LsqOptions {
  int64_t bits;
  ops::Signedness signedness;
  bool per_channel;
};

LsqOptions read_lsq(const Params& spec, Role role) {
  spec.only({"algorithm", "bits", "signed", "per_channel", "start_epoch"});
  LsqOptions options{};
  options.signedness = read_signedness(spec, role);
  options.bits = read_bits(spec, options.signedness, 8);
  options.per_channel = read_per_channel(spec, role);
  return options;
}

struct TqtOptions {
  int64_t bits;
  ops::Signedness signedness;
};

TqtOptions read_tqt(const Params& spec, Role role) {
  spec.only({"algorithm", "bits", "signed", "start_epoch"});
  TqtOptions options{};
  options.signedness = read_signedness(spec, role);
  options.bits = read_bits(spec, options.signedness, 8);
  return options;
}

int64_t read_ste(const Params& spec, Role role) {
  spec.only({"algorithm", "n_levels", "start_epoch"});
  if (role != Role::Activation) spec.fail("algorithm", "a weight algorithm; ste quantizes activations");
  const int64_t n_levels = spec.get<int64_t>("n_levels", 255);
  if (n_levels < 2 || n_levels > (int64_t{1} << kMaxBits)) spec.fail("n_levels", "an integer in [2, 2^24]");
  return n_levels;
}

struct UniformOptions {
  int64_t bits;
  bool per_channel;
  ops::RangeInit init;
};

UniformOptions read_uniform(const Params& spec, Role role) {
  spec.only({"algorithm", "bits", "per_channel", "init", "std_factor", "start_epoch"});
  require_weight(spec, role, "uniform");
  UniformOptions options{};
  options.bits = read_bits(spec, ops::Signedness::Signed, 8);
  options.per_channel = read_per_channel(spec, role);
  options.init.method = read_choice<ops::RangeMethod>(
      spec, "init", "max", {{"max", ops::RangeMethod::Max}, {"std", ops::RangeMethod::Std}, {"mse", ops::RangeMethod::Mse}});
  options.init.std_factor = spec.get<double>("std_factor", options.init.std_factor);
  if (!(options.init.std_factor > 0)) spec.fail("std_factor", "a positive number of standard deviations");
  return options;
}

// binary and ternary: weights get per-channel scales, activations fixed levels.
bool read_binary_or_ternary(const Params& spec, Role role) {
  spec.only({"algorithm", "per_channel", "start_epoch"});
  return read_per_channel(spec, role);
}

struct InqOptions {
  nn::InqLevelSet levels;
  bool per_channel;
  std::map<int, double> schedule;
  nn::InqStrategy strategy;
  bool clear_optimizer_state;
  int64_t seed;
};

InqOptions read_inq(const Params& spec, Role role) {
  spec.only({"algorithm", "levels", "bits", "n_levels", "init", "per_channel", "strategy", "schedule",
             "clear_optimizer_state", "seed"});
  require_weight(spec, role, "inq");
  InqOptions options{};
  const std::string levels = spec.get<std::string>("levels", "uniform");
  if (levels == "power_of_two") {
    const int64_t bits = spec.get<int64_t>("bits", 4);
    if (bits < 2 || bits > 8) spec.fail("bits", "an integer in [2, 8] (levels 0 and +-2^k)");
    if (spec.has("n_levels") || spec.has("init")) spec.fail("levels", "uniform for n_levels and init");
    options.levels = nn::InqLevelSet::power_of_two(bits);
  } else if (levels == "uniform") {
    const int64_t n_levels = spec.get<int64_t>("n_levels", 3);
    if (n_levels < 3 || n_levels % 2 == 0 || n_levels > 255) spec.fail("n_levels", "an odd integer in [3, 255]");
    if (spec.has("bits")) spec.fail("levels", "power_of_two for bits");
    const auto init = read_choice<ops::LevelScaleInit>(spec, "init", "l2",
                                                       {{"uniform", ops::LevelScaleInit::MaxMagnitude},
                                                        {"l1", ops::LevelScaleInit::L1Optimal},
                                                        {"l2", ops::LevelScaleInit::L2Optimal},
                                                        {"linf", ops::LevelScaleInit::LinfOptimal}});
    options.levels = nn::InqLevelSet::uniform(n_levels, init);
  } else {
    spec.fail("levels", "power_of_two or uniform");
  }
  options.per_channel = read_per_channel(spec, role);
  options.strategy = read_choice<nn::InqStrategy>(
      spec, "strategy", "magnitude", {{"magnitude", nn::InqStrategy::Magnitude}, {"random", nn::InqStrategy::Random}});
  options.clear_optimizer_state = spec.get<bool>("clear_optimizer_state", true);
  options.seed = spec.get<int64_t>("seed", 0);
  if (options.seed < 0) spec.fail("seed", "a non-negative integer");
  const std::string expected = "a map from epoch to the fraction of weights frozen by then, epochs >= 0 in "
                               "increasing order, fractions in [0, 1] not decreasing, e.g. {0: 0.5, 2: 0.75, 4: 1.0}";
  if (!spec.has("schedule") || !spec.node()["schedule"].IsMap() || spec.node()["schedule"].size() == 0)
    spec.fail("schedule", expected);
  int previous_epoch = -1;
  double previous_fraction = 0.0;
  for (const auto& entry : spec.node()["schedule"]) {
    int epoch = 0;
    double fraction = 0.0;
    if (!YAML::convert<int>::decode(entry.first, epoch) || !YAML::convert<double>::decode(entry.second, fraction))
      spec.fail("schedule", expected);
    if (epoch < 0 || epoch <= previous_epoch || !(fraction >= previous_fraction && fraction <= 1.0))
      spec.fail("schedule", expected);
    options.schedule.emplace(epoch, fraction);
    previous_epoch = epoch;
    previous_fraction = fraction;
  }
  return options;
}

struct AnaOptions {
  ops::AnaLevels levels;
  int64_t n_levels;
  ops::AnaNoise noise;
  ops::AnaForward forward;
  std::optional<double> scale;
  AnaSchedule schedule;
};

AnaOptions read_ana(const Params& spec, Role role) {
  spec.only({"algorithm", "levels", "n_levels", "noise", "forward", "scale", "s_fwd", "s_bwd", "start_epoch",
             "end_epoch"});
  AnaOptions options{};
  options.levels = read_choice<ops::AnaLevels>(
      spec, "levels", "ternary",
      {{"binary", ops::AnaLevels::Binary}, {"ternary", ops::AnaLevels::Ternary}, {"uniform", ops::AnaLevels::Uniform}});
  options.n_levels = options.levels == ops::AnaLevels::Binary ? 2 : options.levels == ops::AnaLevels::Ternary ? 3 : 0;
  if (options.levels == ops::AnaLevels::Uniform) {
    options.n_levels = spec.get<int64_t>("n_levels", 255);
    if (options.n_levels < 2 || options.n_levels > 65536) spec.fail("n_levels", "an integer in [2, 65536]");
  } else if (spec.has("n_levels")) {
    spec.fail("levels", "uniform for n_levels");
  }
  options.noise = read_choice<ops::AnaNoise>(spec, "noise", "uniform",
                                             {{"uniform", ops::AnaNoise::Uniform},
                                              {"triangular", ops::AnaNoise::Triangular},
                                              {"normal", ops::AnaNoise::Normal},
                                              {"logistic", ops::AnaNoise::Logistic}});
  options.forward = read_choice<ops::AnaForward>(
      spec, "forward", "expectation",
      {{"expectation", ops::AnaForward::Expectation}, {"mode", ops::AnaForward::Mode}, {"random", ops::AnaForward::Random}});
  // Weights scale their levels from the weight (see ana_weight_scale); activations by a given scale.
  if (spec.has("scale")) {
    options.scale = spec.get<double>("scale");
    if (!(std::isfinite(*options.scale) && *options.scale > 0)) spec.fail("scale", "a positive number");
  } else if (role == Role::Activation) {
    options.scale = 1.0;
  }
  options.schedule.s_fwd_start = spec.get<double>("s_fwd", 1.0);
  options.schedule.s_bwd_start = spec.get<double>("s_bwd", options.schedule.s_fwd_start);
  for (const char* key : {"s_fwd", "s_bwd"})
    if (spec.has(key) && !(spec.get<double>(key) >= 0 && std::isfinite(spec.get<double>(key))))
      spec.fail(key, "a noise scale >= 0, relative to the quantizer's scale");
  options.schedule.start_epoch = read_start_epoch(spec);
  const int64_t end_epoch = spec.get<int64_t>("end_epoch", options.schedule.start_epoch + 1);
  if (end_epoch < options.schedule.start_epoch)
    spec.fail("end_epoch", "an epoch >= start_epoch (" + std::to_string(options.schedule.start_epoch) + ")");
  options.schedule.end_epoch = static_cast<int>(end_epoch);
  return options;
}

// A weight's ANA scale when the spec gives none: binary levels +-mean|w|
// (XNOR-Net); ternary levels +-1.4 mean|w|, which puts the thresholds at
// TWN's 0.7 mean|w|; uniform levels spanning max|w|.
double ana_weight_scale(ops::AnaLevels levels, const torch::Tensor& weight) {
  TORCH_CHECK(weight.defined(), "QuantizerSpec: ana on a weight needs the weight");
  const double mean_abs = weight.detach().abs().mean().item<double>();
  const double max_abs = weight.detach().abs().max().item<double>();
  double scale = levels == ops::AnaLevels::Binary    ? mean_abs
                 : levels == ops::AnaLevels::Ternary ? 1.4 * mean_abs
                                                     : max_abs;
  return scale > 0 ? scale : 1.0;
}

}  // namespace

const std::vector<std::string>& known_algorithms() {
  static const std::vector<std::string> names{"pact", "lsq", "tqt", "ste", "uniform", "binary", "ternary",
                                              "inq",  "ana"};
  return names;
}

QuantizerSpec QuantizerSpec::parse(const Params& spec, Role role) {
  const std::string algorithm = spec.get<std::string>("algorithm");
  if (algorithm == "pact") {
    read_pact(spec, role);
    read_start_epoch(spec);
  } else if (algorithm == "lsq") {
    read_lsq(spec, role);
    read_start_epoch(spec);
  } else if (algorithm == "tqt") {
    read_tqt(spec, role);
    read_start_epoch(spec);
  } else if (algorithm == "ste") {
    read_ste(spec, role);
    read_start_epoch(spec, 1);
  } else if (algorithm == "uniform") {
    read_uniform(spec, role);
    read_start_epoch(spec);
  } else if (algorithm == "binary" || algorithm == "ternary") {
    read_binary_or_ternary(spec, role);
    read_start_epoch(spec);
  } else if (algorithm == "inq") {
    read_inq(spec, role);
  } else if (algorithm == "ana") {
    read_ana(spec, role);
  } else {
    std::string names;
    for (const auto& name : known_algorithms()) names += (names.empty() ? "" : ", ") + name;
    spec.fail("algorithm", "one of " + names);
  }
  return QuantizerSpec(spec, role, algorithm);
}

std::shared_ptr<nn::Quantizer> QuantizerSpec::make(const torch::Tensor& weight) const {
  if (algorithm_ == "pact") {
    const PactOptions o = read_pact(spec_, role_);
    return std::make_shared<nn::PactQuantizer>(o.bits, o.signedness, o.alpha, o.rounding);
  }
  if (algorithm_ == "lsq") {
    const LsqOptions o = read_lsq(spec_, role_);
    return std::make_shared<nn::LsqQuantizer>(o.bits, o.signedness, channels(o.per_channel, weight));
  }
  if (algorithm_ == "tqt") {
    const TqtOptions o = read_tqt(spec_, role_);
    return std::make_shared<nn::TqtQuantizer>(o.bits, o.signedness);
  }
  if (algorithm_ == "ste") return std::make_shared<nn::SteQuantizer>(read_ste(spec_, role_));
  if (algorithm_ == "uniform") {
    const UniformOptions o = read_uniform(spec_, role_);
    return std::make_shared<nn::UniformWeightQuantizer>(o.bits, channels(o.per_channel, weight), o.init);
  }
  if (algorithm_ == "binary")
    return std::make_shared<nn::BinaryQuantizer>(
        role_ == Role::Weight ? nn::BinaryQuantizer::Kind::Weights : nn::BinaryQuantizer::Kind::Activations,
        channels(read_binary_or_ternary(spec_, role_), weight));
  if (algorithm_ == "ternary")
    return std::make_shared<nn::TernaryQuantizer>(
        role_ == Role::Weight ? nn::TernaryQuantizer::Kind::Weights : nn::TernaryQuantizer::Kind::Activations,
        channels(read_binary_or_ternary(spec_, role_), weight));
  if (algorithm_ == "inq") {
    const InqOptions o = read_inq(spec_, role_);
    auto quantizer = std::make_shared<nn::InqQuantizer>(o.levels, channels(o.per_channel, weight));
    TORCH_CHECK(weight.defined(), "QuantizerSpec: inq needs the weight it freezes");
    quantizer->attach(weight);
    return quantizer;
  }
  if (algorithm_ == "ana") {
    const AnaOptions o = read_ana(spec_, role_);
    std::optional<double> scale = o.scale;
    if (!scale) scale = ana_weight_scale(o.levels, weight);
    return std::make_shared<nn::AnaQuantizer>(o.levels, o.n_levels, o.noise, o.forward, scale);
  }
  TORCH_CHECK(false, "QuantizerSpec: unchecked algorithm ", algorithm_);
}

std::shared_ptr<Controller> QuantizerSpec::make_controller(
    const std::string& name, const std::vector<std::shared_ptr<nn::Quantizer>>& quantizers) const {
  if (algorithm_ == "inq") {
    const InqOptions o = read_inq(spec_, role_);
    return std::make_shared<InqController>(name, quantizers, o.schedule, o.strategy, o.clear_optimizer_state,
                                           static_cast<uint64_t>(o.seed));
  }
  if (algorithm_ == "ana") {
    // s_fwd and s_bwd are relative to each quantizer's scale, so one rule
    // suits layers whose weights differ in magnitude.
    const AnaSchedule relative = read_ana(spec_, role_).schedule;
    std::vector<AnaGroup> groups;
    for (const auto& quantizer : quantizers) {
      auto ana = std::dynamic_pointer_cast<nn::AnaQuantizer>(quantizer);
      TORCH_CHECK(ana, "QuantizerSpec: ana controller given another quantizer");
      AnaSchedule schedule = relative;
      schedule.s_fwd_start *= ana->scale();
      schedule.s_bwd_start *= ana->scale();
      groups.push_back({{ana}, schedule});
    }
    return std::make_shared<AnaController>(std::move(groups));
  }
  return std::make_shared<EpochSwitchController>(name, quantizers,
                                                 read_start_epoch(spec_, algorithm_ == "ste" ? 1 : 0));
}

bool QuantizerSpec::replaces_relu() const {
  return algorithm_ == "pact" && role_ == Role::Activation &&
         read_signedness(spec_, role_) == ops::Signedness::Unsigned;
}

std::string QuantizerSpec::describe() const {
  std::string text = algorithm_ + " " + role_text(role_);
  if (spec_.has("bits")) text += " " + std::to_string(spec_.get<int64_t>("bits")) + "-bit";
  if (spec_.has("n_levels")) text += " " + std::to_string(spec_.get<int64_t>("n_levels")) + " levels";
  return text;
}

}  // namespace quantlib::recipes

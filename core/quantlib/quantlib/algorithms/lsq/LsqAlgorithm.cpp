// lsq: {bits, signed, per_channel, start_epoch} (Esser et al. 2020); with
// bits: learned, a learned fractional bit-width (FracBits, LearnedBitsQuantizer.h)
// read from learned_bits: {min, max, init, freeze_epoch}.
#include <optional>

#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/lsq/LearnedBitsController.h"
#include "quantlib/algorithms/lsq/LsqQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

namespace {

struct LearnedBitsSpec {
  int64_t min = 2;
  int64_t max = 8;
  double init = 8;
  std::optional<int> freeze_epoch;
};

bool learns_bits(const quantlab::Params& spec) {
  const YAML::Node bits = spec.node()["bits"];
  return bits && bits.IsScalar() && bits.Scalar() == "learned";
}

LearnedBitsSpec read_learned_bits(const quantlab::Params& spec, ops::Signedness signedness) {
  const quantlab::Params learned = spec.at("learned_bits");
  learned.only({"min", "max", "init", "freeze_epoch"});
  LearnedBitsSpec read;
  read.min = read_bits(learned, signedness, signedness == ops::Signedness::Signed ? 2 : 1, "min");
  read.max = read_bits(learned, signedness, 8, "max");
  if (read.max <= read.min) learned.fail("max", "more bits than min (" + std::to_string(read.min) + ")");
  read.init = learned.get<double>("init", static_cast<double>(read.max));
  if (!(read.init >= static_cast<double>(read.min) && read.init <= static_cast<double>(read.max)))
    learned.fail("init", "a number of bits in [min, max] = [" + std::to_string(read.min) + ", " +
                             std::to_string(read.max) + "]");
  if (learned.has("freeze_epoch")) {
    const int64_t epoch = learned.get<int64_t>("freeze_epoch");
    if (epoch < 0) learned.fail("freeze_epoch", "an epoch >= 0 (default: the run's last quarter)");
    read.freeze_epoch = static_cast<int>(epoch);
  }
  return read;
}

}  // namespace

Algorithm lsq_algorithm() {
  return {"lsq",
          {Role::Activation, Role::Weight},
          {"bits", "signed", "per_channel", "start_epoch", "learned_bits"},
          [](const quantlab::Params& spec, Role role) {
            const ops::Signedness signedness = read_signedness(spec, role);
            const bool per_channel = read_per_channel(spec, role);
            const int start_epoch = read_start_epoch(spec);
            QuantizerFactory factory;
            if (learns_bits(spec)) {
              const LearnedBitsSpec learned = read_learned_bits(spec, signedness);
              factory.make = [=](const torch::Tensor& weight) {
                return std::make_shared<nn::LearnedBitsQuantizer>(learned.min, learned.max, learned.init, signedness,
                                                                  channel_count(per_channel, weight));
              };
              factory.make_controller = [=](const std::string& name, const Quantizers& quantizers) {
                return std::make_shared<LearnedBitsController>(name, quantizers, start_epoch, learned.freeze_epoch);
              };
              return factory;
            }
            if (spec.has("learned_bits")) spec.fail("learned_bits", "no learned_bits unless bits: learned");
            int64_t integer = 0;
            if (spec.has("bits") && !YAML::convert<int64_t>::decode(spec.node()["bits"], integer))
              spec.fail("bits", "an integer, or learned (with learned_bits: {min, max, init, freeze_epoch})");
            const int64_t bits = read_bits(spec, signedness, 8);
            factory.make = [=](const torch::Tensor& weight) {
              return std::make_shared<nn::LsqQuantizer>(bits, signedness, channel_count(per_channel, weight));
            };
            // Not a ReLU substitute: LSQ sets its step from the first batch it
            // sees, which would then include the inputs the ReLU removed.
            factory.make_controller = switch_on_at(start_epoch);
            return factory;
          }};
}

}  // namespace quantlib

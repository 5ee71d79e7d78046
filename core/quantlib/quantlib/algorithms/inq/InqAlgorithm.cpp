// inq: incremental network quantization (Zhou et al. 2017) {levels:
// power_of_two (bits) | uniform (n_levels, init), per_channel, strategy,
// schedule, clear_optimizer_state, seed}.
#include <map>

#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/inq/InqController.h"
#include "quantlib/algorithms/inq/InqQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

namespace {

// schedule: a map from epoch to the fraction of weights frozen by then.
std::map<int, double> read_inq_schedule(const quantlab::Params& spec) {
  const std::string expected = "a map from epoch to the fraction of weights frozen by then, epochs >= 0 in "
                               "increasing order, fractions in [0, 1] not decreasing, e.g. {0: 0.5, 2: 0.75, 4: 1.0}";
  if (!spec.has("schedule") || !spec.node()["schedule"].IsMap() || spec.node()["schedule"].size() == 0)
    spec.fail("schedule", expected);
  std::map<int, double> schedule;
  int previous_epoch = -1;
  double previous_fraction = 0.0;
  for (const auto& entry : spec.node()["schedule"]) {
    int epoch = 0;
    double fraction = 0.0;
    if (!YAML::convert<int>::decode(entry.first, epoch) || !YAML::convert<double>::decode(entry.second, fraction))
      spec.fail("schedule", expected);
    if (epoch < 0 || epoch <= previous_epoch || !(fraction >= previous_fraction && fraction <= 1.0))
      spec.fail("schedule", expected);
    schedule.emplace(epoch, fraction);
    previous_epoch = epoch;
    previous_fraction = fraction;
  }
  return schedule;
}

nn::InqLevelSet read_levels(const quantlab::Params& spec) {
  const std::string levels = spec.get<std::string>("levels", "uniform");
  if (levels == "power_of_two") {
    const int64_t bits = spec.get<int64_t>("bits", 4);
    if (bits < 2 || bits > 8) spec.fail("bits", "an integer in [2, 8] (levels 0 and +-2^k)");
    if (spec.has("n_levels") || spec.has("init")) spec.fail("levels", "uniform for n_levels and init");
    return nn::InqLevelSet::power_of_two(bits);
  }
  if (levels != "uniform") spec.fail("levels", "power_of_two or uniform");
  const int64_t n_levels = spec.get<int64_t>("n_levels", 3);
  if (n_levels < 3 || n_levels % 2 == 0 || n_levels > 255) spec.fail("n_levels", "an odd integer in [3, 255]");
  if (spec.has("bits")) spec.fail("levels", "power_of_two for bits");
  const auto init = read_choice<ops::LevelScaleInit>(spec, "init", "l2",
                                                     {{"uniform", ops::LevelScaleInit::MaxMagnitude},
                                                      {"l1", ops::LevelScaleInit::L1Optimal},
                                                      {"l2", ops::LevelScaleInit::L2Optimal},
                                                      {"linf", ops::LevelScaleInit::LinfOptimal}});
  return nn::InqLevelSet::uniform(n_levels, init);
}

}  // namespace

Algorithm inq_algorithm() {
  return {"inq",
          {Role::Weight},
          {"levels", "bits", "n_levels", "init", "per_channel", "strategy", "schedule", "clear_optimizer_state", "seed"},
          [](const quantlab::Params& spec, Role role) {
            const nn::InqLevelSet levels = read_levels(spec);
            const bool per_channel = read_per_channel(spec, role);
            const auto strategy = read_choice<nn::InqStrategy>(
                spec, "strategy", "magnitude",
                {{"magnitude", nn::InqStrategy::Magnitude}, {"random", nn::InqStrategy::Random}});
            const bool clear_optimizer_state = spec.get<bool>("clear_optimizer_state", true);
            const int64_t seed = spec.get<int64_t>("seed", 0);
            if (seed < 0) spec.fail("seed", "a non-negative integer");
            const std::map<int, double> schedule = read_inq_schedule(spec);
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor& weight) {
              auto quantizer = std::make_shared<nn::InqQuantizer>(levels, channel_count(per_channel, weight));
              TORCH_CHECK(weight.defined(), "inq: a quantizer needs the weight it freezes");
              quantizer->attach(weight);
              return quantizer;
            };
            factory.make_controller = [=](const std::string& name, const Quantizers& quantizers) {
              return std::make_shared<InqController>(name, quantizers, schedule, strategy, clear_optimizer_state,
                                                     static_cast<uint64_t>(seed));
            };
            return factory;
          }};
}

}  // namespace quantlib

// ana: additive noise annealing {levels: binary | ternary | uniform
// (n_levels), noise, forward, scale, s_fwd, s_bwd, start_epoch, end_epoch}.
#include <cmath>
#include <optional>

#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/ana/AnaController.h"
#include "quantlib/algorithms/ana/AnaQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

namespace {

// A weight's ANA scale when the spec gives none: binary levels +-mean|w|
// (XNOR-Net); ternary levels +-1.4 mean|w|, which puts the thresholds at
// TWN's 0.7 mean|w|; uniform levels spanning max|w|.
double weight_scale(ops::AnaLevels levels, const torch::Tensor& weight) {
  TORCH_CHECK(weight.defined(), "ana: a quantizer of a weight needs the weight");
  const double mean_abs = weight.detach().abs().mean().item<double>();
  const double max_abs = weight.detach().abs().max().item<double>();
  const double scale = levels == ops::AnaLevels::Binary    ? mean_abs
                       : levels == ops::AnaLevels::Ternary ? 1.4 * mean_abs
                                                           : max_abs;
  return scale > 0 ? scale : 1.0;
}

AnaSchedule read_ana_schedule(const quantlab::Params& spec) {
  AnaSchedule schedule;
  schedule.s_fwd_start = spec.get<double>("s_fwd", 1.0);
  schedule.s_bwd_start = spec.get<double>("s_bwd", schedule.s_fwd_start);
  for (const char* key : {"s_fwd", "s_bwd"})
    if (spec.has(key) && !(spec.get<double>(key) >= 0 && std::isfinite(spec.get<double>(key))))
      spec.fail(key, "a noise scale >= 0, relative to the quantizer's scale");
  schedule.start_epoch = read_start_epoch(spec);
  const int64_t end_epoch = spec.get<int64_t>("end_epoch", schedule.start_epoch + 1);
  if (end_epoch < schedule.start_epoch)
    spec.fail("end_epoch", "an epoch >= start_epoch (" + std::to_string(schedule.start_epoch) + ")");
  schedule.end_epoch = static_cast<int>(end_epoch);
  return schedule;
}

}  // namespace

Algorithm ana_algorithm() {
  return {"ana",
          {Role::Weight, Role::Activation},
          {"levels", "n_levels", "noise", "forward", "scale", "s_fwd", "s_bwd", "start_epoch", "end_epoch"},
          [](const quantlab::Params& spec, Role role) {
            const auto levels = read_choice<ops::AnaLevels>(
                spec, "levels", "ternary",
                {{"binary", ops::AnaLevels::Binary},
                 {"ternary", ops::AnaLevels::Ternary},
                 {"uniform", ops::AnaLevels::Uniform}});
            int64_t n_levels = levels == ops::AnaLevels::Binary ? 2 : levels == ops::AnaLevels::Ternary ? 3 : 0;
            if (levels == ops::AnaLevels::Uniform) {
              n_levels = spec.get<int64_t>("n_levels", 255);
              if (n_levels < 2 || n_levels > 65536) spec.fail("n_levels", "an integer in [2, 65536]");
            } else if (spec.has("n_levels")) {
              spec.fail("levels", "uniform for n_levels");
            }
            const auto noise = read_choice<ops::AnaNoise>(spec, "noise", "uniform",
                                                          {{"uniform", ops::AnaNoise::Uniform},
                                                           {"triangular", ops::AnaNoise::Triangular},
                                                           {"normal", ops::AnaNoise::Normal},
                                                           {"logistic", ops::AnaNoise::Logistic}});
            const auto forward = read_choice<ops::AnaForward>(spec, "forward", "expectation",
                                                              {{"expectation", ops::AnaForward::Expectation},
                                                               {"mode", ops::AnaForward::Mode},
                                                               {"random", ops::AnaForward::Random}});
            // Weights scale their levels from the weight; activations by a given scale.
            std::optional<double> scale;
            if (spec.has("scale")) {
              scale = spec.get<double>("scale");
              if (!(std::isfinite(*scale) && *scale > 0)) spec.fail("scale", "a positive number");
            } else if (role == Role::Activation) {
              scale = 1.0;
            }
            const AnaSchedule relative = read_ana_schedule(spec);
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor& weight) {
              return std::make_shared<nn::AnaQuantizer>(levels, n_levels, noise, forward,
                                                        scale ? *scale : weight_scale(levels, weight));
            };
            // s_fwd and s_bwd are relative to each quantizer's scale, so one
            // rule suits layers whose weights differ in magnitude.
            factory.make_controller = [=](const std::string&, const Quantizers& quantizers) {
              std::vector<AnaGroup> groups;
              for (const auto& quantizer : quantizers) {
                auto ana = std::dynamic_pointer_cast<nn::AnaQuantizer>(quantizer);
                TORCH_CHECK(ana, "ana: the controller was given another algorithm's quantizer");
                AnaSchedule schedule = relative;
                schedule.s_fwd_start *= ana->scale();
                schedule.s_bwd_start *= ana->scale();
                groups.push_back({{ana}, schedule});
              }
              return std::make_shared<AnaController>(std::move(groups));
            };
            return factory;
          }};
}

}  // namespace quantlib

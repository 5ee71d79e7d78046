// uniform: symmetric uniform weights {bits, per_channel, init: max|std|mse,
// std_factor, start_epoch}.
#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/uniform/UniformWeightQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

Algorithm uniform_algorithm() {
  return {"uniform",
          {Role::Weight},
          {"bits", "per_channel", "init", "std_factor", "start_epoch"},
          [](const quantlab::Params& spec, Role role) {
            const int64_t bits = read_bits(spec, ops::Signedness::Signed, 8);
            const bool per_channel = read_per_channel(spec, role);
            ops::RangeInit init;
            init.method = read_choice<ops::RangeMethod>(
                spec, "init", "max",
                {{"max", ops::RangeMethod::Max}, {"std", ops::RangeMethod::Std}, {"mse", ops::RangeMethod::Mse}});
            init.std_factor = spec.get<double>("std_factor", init.std_factor);
            if (!(init.std_factor > 0)) spec.fail("std_factor", "a positive number of standard deviations");
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor& weight) {
              return std::make_shared<nn::UniformWeightQuantizer>(bits, channel_count(per_channel, weight), init);
            };
            factory.make_controller = switch_on_at(read_start_epoch(spec));
            return factory;
          }};
}

}  // namespace quantlib

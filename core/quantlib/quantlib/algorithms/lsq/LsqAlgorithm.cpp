// lsq: {bits, signed, per_channel, start_epoch} (Esser et al. 2020).
#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/lsq/LsqQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

Algorithm lsq_algorithm() {
  return {"lsq",
          {Role::Activation, Role::Weight},
          {"bits", "signed", "per_channel", "start_epoch"},
          [](const quantlab::Params& spec, Role role) {
            const ops::Signedness signedness = read_signedness(spec, role);
            const int64_t bits = read_bits(spec, signedness, 8);
            const bool per_channel = read_per_channel(spec, role);
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor& weight) {
              return std::make_shared<nn::LsqQuantizer>(bits, signedness, channel_count(per_channel, weight));
            };
            // Not a ReLU substitute: LSQ sets its step from the first batch it
            // sees, which would then include the inputs the ReLU removed.
            factory.make_controller = switch_on_at(read_start_epoch(spec));
            return factory;
          }};
}

}  // namespace quantlib

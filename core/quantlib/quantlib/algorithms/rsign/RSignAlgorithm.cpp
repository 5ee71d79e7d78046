// rsign: {start_epoch} (ReActNet's RSign). Activations only; one learned
// threshold per channel of the activation at the quantizer's place, which the
// recipe reads from the layer (QuantizerFactory::make_for_channels).
#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/rsign/RSignQuantizer.h"

namespace quantlib {

Algorithm rsign_algorithm() {
  return {"rsign", {Role::Activation}, {"start_epoch"}, [](const quantlab::Params& spec, Role) {
            QuantizerFactory factory;
            factory.make_for_channels = [](int64_t channels) {
              return std::make_shared<nn::RSignQuantizer>(channels);
            };
            factory.make_controller = switch_on_at(recipe_keys::read_start_epoch(spec));
            return factory;
          }};
}

}  // namespace quantlib

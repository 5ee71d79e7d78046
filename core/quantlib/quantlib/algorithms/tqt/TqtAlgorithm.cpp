// tqt: {bits, signed, start_epoch} (Jain et al. 2020).
#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/tqt/TqtQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

Algorithm tqt_algorithm() {
  return {"tqt",
          {Role::Activation, Role::Weight},
          {"bits", "signed", "start_epoch"},
          [](const quantlab::Params& spec, Role role) {
            const ops::Signedness signedness = read_signedness(spec, role);
            const int64_t bits = read_bits(spec, signedness, 8);
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor&) { return std::make_shared<nn::TqtQuantizer>(bits, signedness); };
            factory.make_controller = switch_on_at(read_start_epoch(spec));
            return factory;
          }};
}

}  // namespace quantlib

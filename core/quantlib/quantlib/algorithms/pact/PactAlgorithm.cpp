// pact: {bits, signed, alpha, rounding, start_epoch} (Choi et al. 2018).
#include <cmath>

#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

Algorithm pact_algorithm() {
  return {"pact",
          {Role::Activation, Role::Weight},
          {"bits", "signed", "alpha", "rounding", "start_epoch"},
          [](const quantlab::Params& spec, Role role) {
            const ops::Signedness signedness = read_signedness(spec, role);
            const int64_t bits = read_bits(spec, signedness, 8);
            const double alpha = spec.get<double>("alpha", 6.0);
            if (!(std::isfinite(alpha) && alpha > 0)) spec.fail("alpha", "a positive initial clipping bound");
            const auto rounding = read_choice<ops::Rounding>(
                spec, "rounding", "nearest", {{"nearest", ops::Rounding::Nearest}, {"floor", ops::Rounding::Floor}});
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor&) {
              return std::make_shared<nn::PactQuantizer>(bits, signedness, alpha, rounding);
            };
            factory.make_controller = switch_on_at(read_start_epoch(spec));
            // An unsigned PACT activation clips at 0 and gives inputs below 0
            // no gradient, as the ReLU it follows, which it may replace (as in
            // the PACT paper).
            factory.replaces_relu = role == Role::Activation && signedness == ops::Signedness::Unsigned;
            return factory;
          }};
}

}  // namespace quantlib

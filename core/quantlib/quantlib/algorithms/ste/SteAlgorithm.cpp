// ste: {n_levels, start_epoch >= 1}, the original QuantLab's STE activation;
// it records its range during the epoch before start_epoch.
#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/ste/SteController.h"
#include "quantlib/algorithms/ste/SteQuantizer.h"

namespace quantlib {

using namespace recipe_keys;

Algorithm ste_algorithm() {
  return {"ste",
          {Role::Activation},
          {"n_levels", "start_epoch"},
          [](const quantlab::Params& spec, Role) {
            const int64_t n_levels = spec.get<int64_t>("n_levels", 255);
            if (n_levels < 2 || n_levels > (int64_t{1} << kMaxBits)) spec.fail("n_levels", "an integer in [2, 2^24]");
            QuantizerFactory factory;
            factory.make = [=](const torch::Tensor&) { return std::make_shared<nn::SteQuantizer>(n_levels); };
            const int start_epoch = read_start_epoch(spec, 1);
            factory.make_controller = [start_epoch](const std::string& name, const Quantizers& quantizers) {
              return std::make_shared<SteController>(name, quantizers, start_epoch);
            };
            return factory;
          }};
}

}  // namespace quantlib

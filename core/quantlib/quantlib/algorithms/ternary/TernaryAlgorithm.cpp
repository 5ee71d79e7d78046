// ternary: {per_channel, start_epoch}.
#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/ternary/TernaryQuantizer.h"

namespace quantlib {

Algorithm ternary_algorithm() { return recipe_keys::fixed_levels_algorithm<nn::TernaryQuantizer>("ternary"); }

}  // namespace quantlib

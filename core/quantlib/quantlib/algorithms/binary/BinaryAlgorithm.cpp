// binary: {per_channel, start_epoch}.
#include "quantlib/algorithms/RecipeKeys.h"
#include "quantlib/algorithms/binary/BinaryQuantizer.h"

namespace quantlib {

Algorithm binary_algorithm() { return recipe_keys::fixed_levels_algorithm<nn::BinaryQuantizer>("binary"); }

}  // namespace quantlib

#include "quantlab/Topology.h"

namespace quantlab {

quantlib::Controllers Topology::apply_recipe(const std::string& recipe, Network&,
                                             const Params& network_quantize,
                                             const Params&) const {
  network_quantize.fail("recipe", "a recipe of topology " + name() + ", but it has none named \"" +
                                      recipe + "\"");
}

}  // namespace quantlab

#include "quantlab/Topology.h"

namespace quantlab {

quantlib::Controllers Topology::apply_recipe(const std::string& recipe, Network&,
                                             const Params& network_quantize,
                                             const Params&) const {
  network_quantize.fail("recipe", "a recipe of topology " + name() + ", but it has none named \"" +
                                      recipe + "\"");
}

BasicTopology::BasicTopology(std::string name, std::string default_config, NetworkFactory factory)
    : name_(std::move(name)), default_config_(std::move(default_config)), factory_(std::move(factory)) {}

}  // namespace quantlab

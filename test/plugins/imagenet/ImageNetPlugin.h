#pragma once
// Loads build/problems/libimagenet.so once for the whole test run, through the
// host's plugin loader: the tests exercise the plugin as qlhost sees it.
#include <cstdint>
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "manager/plugin/PluginLoader.h"
#include "quantlab/Params.h"

namespace imagenet::test {

inline const quantlab::LoadedPlugin& plugin() {
  static const quantlab::LoadedPlugin loaded = quantlab::load_plugin(QUANTLAB_BUILD_DIR "/problems/libimagenet.so");
  return loaded;
}

inline const quantlab::Problem& problem() { return *plugin().problem; }

inline std::shared_ptr<quantlab::Topology> topology(const std::string& name) { return plugin().topology(name); }

inline quantlab::Params params(const std::string& yaml) {
  return quantlab::Params(YAML::Load(yaml), "network.params", "test.yaml");
}

inline std::shared_ptr<quantlab::Network> network(const std::string& topology_name, const std::string& yaml) {
  return topology(topology_name)->network(params(yaml));
}

inline std::int64_t parameter_count(const torch::nn::Module& network) {
  std::int64_t total = 0;
  for (const auto& parameter : network.parameters()) total += parameter.numel();
  return total;
}

}  // namespace imagenet::test

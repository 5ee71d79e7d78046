#pragma once
// Loads build/problems/libfashionmnist.so once for the whole test run, through
// the host's plugin loader: the tests exercise the plugin as qlhost sees it.
#include <memory>
#include <string>

#include "manager/plugin/PluginLoader.h"

namespace fashionmnist::test {

inline const quantlab::LoadedPlugin& plugin() {
  static const quantlab::LoadedPlugin loaded =
      quantlab::load_plugin(QUANTLAB_BUILD_DIR "/problems/libfashionmnist.so");
  return loaded;
}

inline const quantlab::Problem& problem() { return *plugin().problem; }

inline std::shared_ptr<quantlab::Topology> topology(const std::string& name) {
  return plugin().topology(name);
}

}  // namespace fashionmnist::test

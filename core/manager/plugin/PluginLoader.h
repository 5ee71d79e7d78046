#pragma once
// Loads problem plugins. A library is loaded with local symbol scope and kept
// loaded for the rest of the process: objects made by it (problem, topologies,
// networks) may live anywhere in the host until exit.
#include <filesystem>
#include <memory>
#include <string>

#include "quantlab/Problem.h"

namespace quantlab {

struct LoadedPlugin {
  std::filesystem::path path;
  std::string name;     // the problem's name
  std::string version;
  unsigned abi_version = 0;
  std::string torch_version;
  std::shared_ptr<Problem> problem;

  // The topology with this name; ConfigError listing the known ones otherwise.
  std::shared_ptr<Topology> topology(const std::string& name) const;
};

// Throws PluginError naming the file and, on a mismatch, both sides.
LoadedPlugin load_plugin(const std::filesystem::path& path);

}  // namespace quantlab

#pragma once
// Loads problem plugins. A library is loaded with local symbol scope and kept
// loaded for the rest of the process: objects made by it (problem, topologies,
// networks) may live anywhere in the host until exit.
#include <filesystem>
#include <memory>
#include <string>

#include "quantlab/PluginDescriptor.h"
#include "quantlab/Problem.h"

namespace quantlab {

struct LoadedPlugin {
  std::filesystem::path path;
  std::string name;     // the problem's name
  std::string version;
  unsigned abi_version = 0;
  std::string torch_version;
  std::string headers_hash;  // QUANTLAB_HEADERS_HASH it was built with (equal to qlhost's)
  std::shared_ptr<Problem> problem;

  // The topology with this name; ConfigError listing the known ones otherwise.
  std::shared_ptr<Topology> topology(const std::string& name) const;
};

// Throws PluginError naming the file and, on a mismatch, both sides.
LoadedPlugin load_plugin(const std::filesystem::path& path);

// What load_plugin checks in the descriptor of `path` before calling into it:
// the descriptor's layout (read first, before trusting the rest), the build
// identity (headers hash, LibTorch, compiler, standard library; see
// quantlab/PluginDescriptor.h), and a name and problem factory.
// Throws PluginError naming the file and both sides of a mismatch.
void check_plugin_descriptor(const std::filesystem::path& path, const PluginDescriptor& descriptor);

}  // namespace quantlab

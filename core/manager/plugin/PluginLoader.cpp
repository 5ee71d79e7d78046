#include "manager/plugin/PluginLoader.h"

#include <mutex>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <torch/version.h>

#include "manager/plugin/ElfFile.h"
#include "quantlab/Plugin.h"

namespace quantlab {

namespace {

// Never unloaded: see the header.
void keep_loaded(boost::dll::shared_library library) {
  static std::mutex mutex;
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  std::lock_guard<std::mutex> lock(mutex);
  libraries->push_back(std::move(library));
}

std::string quoted(const std::filesystem::path& path) { return path.string(); }

}  // namespace

std::shared_ptr<Topology> LoadedPlugin::topology(const std::string& wanted) const {
  std::string known;
  for (const auto& topology : problem->topologies()) {
    if (topology->name() == wanted) return topology;
    known += (known.empty() ? "" : ", ") + topology->name();
  }
  throw ConfigError("topology \"" + wanted + "\": not in plugin " + name + " (" + quoted(path) +
                    "); expected one of: " + known);
}

LoadedPlugin load_plugin(const std::filesystem::path& path) {
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(path, ignored))
    throw PluginError(quoted(path) + ": no such plugin file (expected a lib<problem>.so built with the QuantLab SDK)");

  check_elf_shared_object(path);
  boost::dll::shared_library library;
  try {
    library.load(path, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  } catch (const std::exception& error) {
    throw PluginError(quoted(path) + ": cannot be loaded as a shared library: " + error.what());
  }
  if (!library.has(QUANTLAB_PLUGIN_SYMBOL_NAME))
    throw PluginError(quoted(path) + ": not a QuantLab plugin (it exports no " +
                      QUANTLAB_PLUGIN_SYMBOL_NAME + " entry point)");
  const auto entry = library.get_alias<const PluginDescriptor*()>(QUANTLAB_PLUGIN_SYMBOL_NAME);
  const PluginDescriptor* descriptor = entry();
  if (descriptor == nullptr) throw PluginError(quoted(path) + ": its entry point returned no descriptor");

  // Only abi_version may be read before it matches.
  if (descriptor->abi_version != QUANTLAB_SDK_ABI_VERSION)
    throw PluginError(quoted(path) + ": built for plugin ABI " + std::to_string(descriptor->abi_version) +
                      ", this qlhost speaks ABI " + std::to_string(QUANTLAB_SDK_ABI_VERSION) +
                      "; rebuild the plugin against this SDK");
  const std::string plugin_torch = descriptor->torch_version ? descriptor->torch_version : "?";
  if (plugin_torch != TORCH_VERSION)
    throw PluginError(quoted(path) + ": built with LibTorch " + plugin_torch + ", qlhost uses LibTorch " +
                      TORCH_VERSION + "; rebuild the plugin with the same LibTorch");
  if (descriptor->cxx11_abi != _GLIBCXX_USE_CXX11_ABI)
    throw PluginError(quoted(path) + ": built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(descriptor->cxx11_abi) +
                      ", qlhost with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(_GLIBCXX_USE_CXX11_ABI));
  if (descriptor->compiler_major != __GNUC__)
    throw PluginError(quoted(path) + ": built with compiler major version " +
                      std::to_string(descriptor->compiler_major) + ", qlhost with " + std::to_string(__GNUC__) +
                      "; rebuild the plugin with the same compiler");
  if (descriptor->create_problem == nullptr || descriptor->name == nullptr)
    throw PluginError(quoted(path) + ": its descriptor has no name or problem factory");

  LoadedPlugin plugin;
  plugin.path = path;
  plugin.name = descriptor->name;
  plugin.version = descriptor->version ? descriptor->version : "";
  plugin.abi_version = descriptor->abi_version;
  plugin.torch_version = plugin_torch;
  plugin.problem = std::shared_ptr<Problem>(descriptor->create_problem());
  keep_loaded(std::move(library));
  return plugin;
}

}  // namespace quantlab

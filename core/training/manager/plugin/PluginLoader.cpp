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

void check_plugin_descriptor(const std::filesystem::path& path, const PluginDescriptor& descriptor) {
  // Only abi_version may be read before it matches.
  if (descriptor.abi_version != QUANTLAB_SDK_ABI_VERSION)
    throw PluginError(quoted(path) + ": built for plugin ABI " + std::to_string(descriptor.abi_version) +
                      ", this qlhost speaks ABI " + std::to_string(QUANTLAB_SDK_ABI_VERSION) +
                      "; rebuild the plugin against this SDK");
  // Each part of the build identity, as the plugin and as qlhost were built.
  struct Part {
    const char* what;
    const char* plugin;
    const char* host;
    const char* fix;
  };
  const Part parts[] = {
      {"boundary headers (hash)", descriptor.headers_hash, QUANTLAB_HEADERS_HASH,
       "rebuild the plugin against this qlhost's SDK"},
      {"LibTorch", descriptor.torch_version, TORCH_VERSION, "rebuild the plugin with the same LibTorch"},
      {"compiler", descriptor.compiler, QUANTLAB_COMPILER, "rebuild the plugin with the same compiler"},
      {"standard library", descriptor.standard_library, QUANTLAB_STANDARD_LIBRARY,
       "rebuild the plugin with the same standard library"},
  };
  for (const Part& part : parts) {
    const std::string plugin = part.plugin ? part.plugin : "(none)";
    if (plugin != part.host)
      throw PluginError(quoted(path) + ": built with " + part.what + " " + plugin + ", qlhost with " + part.what +
                        " " + part.host + "; " + part.fix);
  }
  if (descriptor.create_problem == nullptr || descriptor.name == nullptr)
    throw PluginError(quoted(path) + ": its descriptor has no name or problem factory");
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

  check_plugin_descriptor(path, *descriptor);

  LoadedPlugin plugin;
  plugin.path = path;
  plugin.name = descriptor->name;
  plugin.version = descriptor->version ? descriptor->version : "";
  plugin.abi_version = descriptor->abi_version;
  plugin.torch_version = descriptor->torch_version;
  plugin.headers_hash = descriptor->headers_hash;
  // Kept loaded before any of its code runs: an exception the factory throws
  // must not outlive the library that holds its type information.
  keep_loaded(std::move(library));
  plugin.problem = std::shared_ptr<Problem>(descriptor->create_problem());
  return plugin;
}

}  // namespace quantlab

#pragma once
// The plain descriptor a plugin's entry point returns. It needs no LibTorch,
// so anything can read it before trusting the rest of the plugin.
#include <cstdint>

// Bump on any change to the descriptor or to a class that crosses the boundary.
#define QUANTLAB_SDK_ABI_VERSION 2u

namespace quantlab {

class Problem;

struct PluginDescriptor {
  std::uint32_t abi_version;  // first field: read before trusting the rest
  const char* name;           // the problem's name, e.g. "fashionmnist"
  const char* version;
  const char* torch_version;
  int cxx11_abi;  // _GLIBCXX_USE_CXX11_ABI
  int compiler_major;
  Problem* (*create_problem)();
};

}  // namespace quantlab

// The exported alias; the host looks it up by this name.
#define QUANTLAB_PLUGIN_SYMBOL quantlab_plugin
#define QUANTLAB_PLUGIN_SYMBOL_NAME "quantlab_plugin"

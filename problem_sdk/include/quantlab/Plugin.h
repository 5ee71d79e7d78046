#pragma once
// The plugin ABI. A plugin exports exactly one symbol, the alias
// `quantlab_plugin`, a function returning a PluginDescriptor. The host refuses
// a plugin unless abi_version matches exactly, then compares the LibTorch
// version, the C++ standard-library ABI and the compiler, naming both sides.
#include <cstdint>

#include <boost/dll/alias.hpp>
#include <torch/version.h>

#include "quantlab/Problem.h"

// Bump on any change to the descriptor or to a class that crosses the boundary.
#define QUANTLAB_SDK_ABI_VERSION 1u

namespace quantlab {

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

#define QUANTLAB_PLUGIN_SYMBOL quantlab_plugin
#define QUANTLAB_PLUGIN_SYMBOL_NAME "quantlab_plugin"

// Use once in a plugin, at namespace scope:
//   QUANTLAB_PLUGIN(FashionMnistProblem, "fashionmnist", "1.0.0")
#define QUANTLAB_PLUGIN(ProblemClass, problem_name, plugin_version)                      \
  namespace quantlab_plugin_detail {                                                     \
  inline ::quantlab::Problem* create_problem() { return new ProblemClass(); }           \
  inline const ::quantlab::PluginDescriptor* descriptor() {                              \
    static const ::quantlab::PluginDescriptor d{QUANTLAB_SDK_ABI_VERSION, problem_name,  \
                                                plugin_version,     TORCH_VERSION,       \
                                                _GLIBCXX_USE_CXX11_ABI, __GNUC__,        \
                                                &create_problem};                        \
    return &d;                                                                           \
  }                                                                                      \
  }                                                                                      \
  BOOST_DLL_ALIAS(quantlab_plugin_detail::descriptor, QUANTLAB_PLUGIN_SYMBOL)

#pragma once
// The plugin ABI. A plugin exports exactly one symbol, the alias
// `quantlab_plugin`, a function returning a PluginDescriptor. The host refuses
// a plugin unless abi_version (the descriptor's layout) matches exactly, then
// compares the headers hash, LibTorch's version, the compiler and the
// standard library, naming both sides (see PluginDescriptor.h).
#include <boost/dll/alias.hpp>
#include <torch/version.h>

#include "quantlab/PluginDescriptor.h"
#include "quantlab/Problem.h"

// Use once in a plugin, at namespace scope:
//   QUANTLAB_PLUGIN(FashionMnistProblem, "fashionmnist", "1.0.0")
#define QUANTLAB_PLUGIN(ProblemClass, problem_name, plugin_version)                      \
  namespace quantlab_plugin_detail {                                                     \
  inline ::quantlab::Problem* create_problem() { return new ProblemClass(); }           \
  inline const ::quantlab::PluginDescriptor* descriptor() {                              \
    static const ::quantlab::PluginDescriptor d{                                         \
        QUANTLAB_SDK_ABI_VERSION, problem_name,     plugin_version,                      \
        QUANTLAB_HEADERS_HASH,    TORCH_VERSION,    QUANTLAB_COMPILER,                   \
        QUANTLAB_STANDARD_LIBRARY, &create_problem};                                     \
    return &d;                                                                           \
  }                                                                                      \
  }                                                                                      \
  BOOST_DLL_ALIAS(quantlab_plugin_detail::descriptor, QUANTLAB_PLUGIN_SYMBOL)

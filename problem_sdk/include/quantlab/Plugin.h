#pragma once
// The plugin ABI. A plugin exports exactly one symbol, the alias
// `quantlab_plugin`, a function returning a PluginDescriptor. The host refuses
// a plugin unless abi_version matches exactly, then compares the LibTorch
// version, the C++ standard-library ABI and the compiler, naming both sides.
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
    static const ::quantlab::PluginDescriptor d{QUANTLAB_SDK_ABI_VERSION, problem_name,  \
                                                plugin_version,     TORCH_VERSION,       \
                                                _GLIBCXX_USE_CXX11_ABI, __GNUC__,        \
                                                &create_problem};                        \
    return &d;                                                                           \
  }                                                                                      \
  }                                                                                      \
  BOOST_DLL_ALIAS(quantlab_plugin_detail::descriptor, QUANTLAB_PLUGIN_SYMBOL)

# quantlab_add_plugin(<problem> <sources>...)
# Builds build/problems/lib<problem>.so: a MODULE library with hidden
# visibility that links libquantlab. Works in tree and, through the installed
# QuantLab CMake package, out of tree.
function(quantlab_add_plugin problem)
  add_library(${problem} MODULE ${ARGN})
  set_target_properties(${problem} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${QUANTLAB_PLUGIN_DIR}")
  if(TARGET quantlab)
    target_link_libraries(${problem} PRIVATE quantlab)
  else()
    target_link_libraries(${problem} PRIVATE QuantLab::quantlab)
  endif()
  if(TARGET quantlab_plugin_pch)
    target_precompile_headers(${problem} REUSE_FROM quantlab_plugin_pch)
  else()
    target_precompile_headers(${problem} PRIVATE <torch/torch.h>)
  endif()
endfunction()

# Executables reuse quantlib's precompiled header (LibTorch's), so they are compiled
# with the library's -fPIC rather than -fPIE.
function(quantlab_reuse_pch target)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_compile_options(${target} PRIVATE -fPIC)
  target_precompile_headers(${target} REUSE_FROM quantlib)
endfunction()

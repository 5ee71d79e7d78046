# NCCL for the CUDA build's NcclCommunicator: the NCCL that LibTorch's
# libtorch_cuda.so loads, so that the process holds one NCCL. A wheel's
# LibTorch has it in the nvidia-nccl wheel beside it (nvidia/nccl/{include,lib});
# -DQUANTLAB_NCCL_ROOT=<prefix> names another (a LibTorch archive's NCCL).
# The CUDA toolkit ships an older nccl.h in its include folder, which is on
# every CUDA source's include path: the communicator includes the one found
# here by its full path, and checks its version against this one's.
# Defines the imported target quantlab_nccl, and QUANTLAB_NCCL_HEADER,
# QUANTLAB_NCCL_MAJOR, QUANTLAB_NCCL_MINOR.

set(_nccl_hints "")
if(QUANTLAB_NCCL_ROOT)
  list(APPEND _nccl_hints "${QUANTLAB_NCCL_ROOT}")
endif()
list(APPEND _nccl_hints "${QUANTLAB_TORCH_PREFIX}/../nvidia/nccl")
find_path(QUANTLAB_NCCL_INCLUDE_DIR nccl.h HINTS ${_nccl_hints} PATH_SUFFIXES include NO_DEFAULT_PATH)
find_library(QUANTLAB_NCCL_LIBRARY NAMES libnccl.so.2 nccl HINTS ${_nccl_hints} PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
if(NOT QUANTLAB_NCCL_INCLUDE_DIR OR NOT QUANTLAB_NCCL_LIBRARY)
  message(FATAL_ERROR "QuantLab: QUANTLAB_CUDA=ON but no NCCL beside LibTorch (looked in ${_nccl_hints} for include/nccl.h and lib/libnccl.so.2; expected the nvidia-nccl wheel of torch's environment, or pass -DQUANTLAB_NCCL_ROOT=<prefix of LibTorch's NCCL>)")
endif()
file(STRINGS "${QUANTLAB_NCCL_INCLUDE_DIR}/nccl.h" _nccl_version_lines REGEX "#define NCCL_(MAJOR|MINOR|PATCH) ")
foreach(_part MAJOR MINOR PATCH)
  string(REGEX MATCH "NCCL_${_part} ([0-9]+)" _match "${_nccl_version_lines}")
  set(QUANTLAB_NCCL_${_part} "${CMAKE_MATCH_1}")
endforeach()
if(NOT QUANTLAB_NCCL_MAJOR STREQUAL "2")
  message(FATAL_ERROR "QuantLab: ${QUANTLAB_NCCL_INCLUDE_DIR}/nccl.h is NCCL '${QUANTLAB_NCCL_MAJOR}.${QUANTLAB_NCCL_MINOR}'; expected NCCL 2.x")
endif()
set(QUANTLAB_NCCL_HEADER "${QUANTLAB_NCCL_INCLUDE_DIR}/nccl.h")
get_filename_component(QUANTLAB_NCCL_LIBRARY_DIR "${QUANTLAB_NCCL_LIBRARY}" DIRECTORY)

if(NOT TARGET quantlab_nccl)
  add_library(quantlab_nccl SHARED IMPORTED GLOBAL)
  set_target_properties(quantlab_nccl PROPERTIES IMPORTED_LOCATION "${QUANTLAB_NCCL_LIBRARY}" IMPORTED_SONAME "libnccl.so.2")
endif()
message(STATUS "QuantLab: NCCL ${QUANTLAB_NCCL_MAJOR}.${QUANTLAB_NCCL_MINOR}.${QUANTLAB_NCCL_PATCH} from ${QUANTLAB_NCCL_LIBRARY_DIR}")

# Finds LibTorch 2.x and decides QUANTLAB_CUDA; defines the target `torch`.
#
# Where LibTorch comes from, first match wins:
#   1. a user's own: -DTorch_DIR=<libtorch>/share/cmake/Torch, or a prefix in
#      CMAKE_PREFIX_PATH holding share/cmake/Torch;
#   2. the torch wheel of QuantLab's Python environment (scripts/install-python):
#      -DQUANTLAB_PYTHON=<venv>/bin/python, else $QUANTLAB_VENV, else the
#      cache folder named by python/requirements.lock's hash.
# QUANTLAB_CUDA defaults to ON when that LibTorch has CUDA and an nvcc of the
# same CUDA major version is found; OFF builds against LibTorch's CPU libraries
# alone, so a CUDA LibTorch also builds where no CUDA toolkit is installed.
# Every refusal is one line naming what was found and what is expected.

function(_quantlab_torch_fail text)
  message(FATAL_ERROR "QuantLab: ${text}")
endfunction()

# QuantLab's Python environment: the tests run real clients from it
# (TensorBoard, ONNX Runtime, onnx's checker) and bench/ its PyTorch.
function(_quantlab_default_venv out)
  if(DEFINED ENV{QUANTLAB_VENV} AND NOT "$ENV{QUANTLAB_VENV}" STREQUAL "")
    set(${out} "$ENV{QUANTLAB_VENV}" PARENT_SCOPE)
    return()
  endif()
  file(SHA256 "${PROJECT_SOURCE_DIR}/python/requirements.lock" hash)
  string(SUBSTRING "${hash}" 0 16 hash)
  if(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(cache "$ENV{XDG_CACHE_HOME}")
  else()
    set(cache "$ENV{HOME}/.cache")
  endif()
  set(${out} "${cache}/quantlab/venv-${hash}" PARENT_SCOPE)
endfunction()

# The environment is looked for only where the source tree is (a plugin built
# out of tree gets Torch_DIR from QuantLab's package).
if(NOT QUANTLAB_PYTHON AND EXISTS "${PROJECT_SOURCE_DIR}/python/requirements.lock")
  _quantlab_default_venv(_quantlab_venv)
  if(EXISTS "${_quantlab_venv}/bin/python" AND EXISTS "${_quantlab_venv}/.quantlab-lock")
    set(QUANTLAB_PYTHON "${_quantlab_venv}/bin/python" CACHE FILEPATH
        "Python of QuantLab's environment (scripts/install-python)" FORCE)
  endif()
endif()

# 1. The CMake folder of LibTorch.
if(Torch_DIR)
  set(_torch_cmake_dir "${Torch_DIR}")
else()
  find_path(_torch_cmake_dir TorchConfig.cmake PATH_SUFFIXES share/cmake/Torch NO_CACHE
            NO_SYSTEM_ENVIRONMENT_PATH NO_CMAKE_SYSTEM_PATH)
  if(NOT _torch_cmake_dir AND QUANTLAB_PYTHON)
    execute_process(COMMAND "${QUANTLAB_PYTHON}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
                    OUTPUT_VARIABLE _torch_prefix_path OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_VARIABLE _torch_error RESULT_VARIABLE _torch_result)
    if(NOT _torch_result EQUAL 0)
      _quantlab_torch_fail("${QUANTLAB_PYTHON} cannot import torch (the environment is broken: run scripts/install-deps, or remove it and run it again)")
    endif()
    set(_torch_cmake_dir "${_torch_prefix_path}/Torch")
  endif()
  if(NOT _torch_cmake_dir)
    _quantlab_torch_fail("no LibTorch found: run scripts/install-deps (it makes the Python environment holding torch), or pass -DTorch_DIR=<libtorch>/share/cmake/Torch for a LibTorch 2.x of your own")
  endif()
endif()
if(NOT EXISTS "${_torch_cmake_dir}/TorchConfig.cmake")
  _quantlab_torch_fail("Torch_DIR=${_torch_cmake_dir} holds no TorchConfig.cmake; expected <libtorch>/share/cmake/Torch")
endif()
get_filename_component(QUANTLAB_TORCH_PREFIX "${_torch_cmake_dir}/../../.." ABSOLUTE)

# 2. Its version, from the header every LibTorch ships (2.10 and later moved
# the numbers to torch/headeronly/version.h).
set(_torch_version_lines "")
foreach(_header include/torch/csrc/api/include/torch/version.h include/torch/headeronly/version.h)
  if(EXISTS "${QUANTLAB_TORCH_PREFIX}/${_header}")
    file(STRINGS "${QUANTLAB_TORCH_PREFIX}/${_header}" _lines REGEX "#define TORCH_VERSION_(MAJOR|MINOR|PATCH) ")
    list(APPEND _torch_version_lines ${_lines})
  endif()
endforeach()
if(NOT _torch_version_lines)
  _quantlab_torch_fail("${QUANTLAB_TORCH_PREFIX} is no LibTorch: expected include/torch/csrc/api/include/torch/version.h with TORCH_VERSION_MAJOR")
endif()
foreach(_part MAJOR MINOR PATCH)
  string(REGEX MATCH "TORCH_VERSION_${_part} ([0-9]+)" _match "${_torch_version_lines}")
  set(_torch_${_part} "${CMAKE_MATCH_1}")
endforeach()
set(QUANTLAB_TORCH_VERSION "${_torch_MAJOR}.${_torch_MINOR}.${_torch_PATCH}")
if(_torch_MAJOR LESS 2)
  _quantlab_torch_fail("LibTorch ${QUANTLAB_TORCH_VERSION} at ${QUANTLAB_TORCH_PREFIX} is too old: expected LibTorch 2.x (run scripts/install-deps, or point Torch_DIR at a LibTorch 2.x)")
endif()

# 3. CUDA: does this LibTorch have it, for which CUDA, and is there an nvcc to match?
set(QUANTLAB_TORCH_CUDA "")
if(EXISTS "${QUANTLAB_TORCH_PREFIX}/lib/libtorch_cuda.so")
  set(QUANTLAB_TORCH_CUDA "unknown")
  if(EXISTS "${QUANTLAB_TORCH_PREFIX}/version.py")  # a wheel
    file(STRINGS "${QUANTLAB_TORCH_PREFIX}/version.py" _line REGEX "^cuda")
    if(_line MATCHES "'([0-9]+\\.[0-9]+)'")
      set(QUANTLAB_TORCH_CUDA "${CMAKE_MATCH_1}")
    endif()
  elseif(EXISTS "${QUANTLAB_TORCH_PREFIX}/build-version")  # a LibTorch archive
    file(READ "${QUANTLAB_TORCH_PREFIX}/build-version" _line)
    if(_line MATCHES "\\+cu([0-9]+)([0-9])")
      set(QUANTLAB_TORCH_CUDA "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
    endif()
  endif()
endif()
find_program(QUANTLAB_NVCC nvcc HINTS "$ENV{CUDA_HOME}/bin" /usr/local/cuda/bin)
set(QUANTLAB_NVCC_VERSION "")
if(QUANTLAB_NVCC)
  execute_process(COMMAND "${QUANTLAB_NVCC}" --version OUTPUT_VARIABLE _nvcc_out ERROR_QUIET)
  if(_nvcc_out MATCHES "release ([0-9]+\\.[0-9]+)")
    set(QUANTLAB_NVCC_VERSION "${CMAKE_MATCH_1}")
  endif()
endif()

set(_cuda_blocker "")
string(REGEX MATCH "^[0-9]+" _torch_cuda_major "${QUANTLAB_TORCH_CUDA}")
string(REGEX MATCH "^[0-9]+" _nvcc_major "${QUANTLAB_NVCC_VERSION}")
if(NOT QUANTLAB_TORCH_CUDA)
  set(_cuda_blocker "LibTorch ${QUANTLAB_TORCH_VERSION} at ${QUANTLAB_TORCH_PREFIX} has no CUDA (expected libtorch_cuda.so)")
elseif(NOT QUANTLAB_NVCC_VERSION)
  set(_cuda_blocker "LibTorch ${QUANTLAB_TORCH_VERSION} has CUDA ${QUANTLAB_TORCH_CUDA} but no nvcc was found (expected the CUDA ${_torch_cuda_major} toolkit on PATH or in /usr/local/cuda)")
elseif(_torch_cuda_major AND NOT _torch_cuda_major STREQUAL _nvcc_major)
  set(_cuda_blocker "LibTorch ${QUANTLAB_TORCH_VERSION} has CUDA ${QUANTLAB_TORCH_CUDA} but nvcc ${QUANTLAB_NVCC} is CUDA ${QUANTLAB_NVCC_VERSION} (expected the same major version)")
endif()

if(NOT DEFINED QUANTLAB_CUDA)
  if(_cuda_blocker)
    message(STATUS "QuantLab: building CPU-only: ${_cuda_blocker}")
    set(_cuda_default OFF)
  else()
    set(_cuda_default ON)
  endif()
  set(QUANTLAB_CUDA ${_cuda_default} CACHE BOOL "Build for CUDA (needs a CUDA LibTorch and an nvcc of the same major version)")
elseif(QUANTLAB_CUDA AND _cuda_blocker)
  _quantlab_torch_fail("QUANTLAB_CUDA=ON but ${_cuda_blocker}; pass -DQUANTLAB_CUDA=OFF for a CPU-only build")
endif()

# 4. The target.
if(QUANTLAB_CUDA)
  set(CMAKE_CUDA_COMPILER "${QUANTLAB_NVCC}")
  if(NOT CMAKE_CUDA_ARCHITECTURES)
    # Ampere and Hopper, and PTX for what comes after.
    set(CMAKE_CUDA_ARCHITECTURES "80-real;90")
  endif()
  set(_quantlab_cuda_architectures "${CMAKE_CUDA_ARCHITECTURES}")
  # LibTorch's package would probe the GPUs of this machine (there may be
  # none) for the architectures; name them instead.
  if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
    set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
  endif()
  # CUDA sources are C++17: this CMake knows no C++20 dialect for nvcc.
  set(CMAKE_CUDA_STANDARD 17)
  # LibTorch's CMake package warns about what it looks for and does not need
  # here (kineto, nvtx); keep configure's output to what matters.
  # LibTorch's package looks for Caffe2's in the system's folders first: a
  # Debian libtorch-dev there would be taken for this LibTorch's own.
  set(Caffe2_DIR "${_torch_cmake_dir}/../Caffe2" CACHE PATH "LibTorch's Caffe2 CMake folder" FORCE)
  set(_quantlab_saved_log_level "${CMAKE_MESSAGE_LOG_LEVEL}")
  set(CMAKE_MESSAGE_LOG_LEVEL ERROR)
  find_package(Torch REQUIRED CONFIG PATHS "${_torch_cmake_dir}" NO_DEFAULT_PATH)
  set(CMAKE_MESSAGE_LOG_LEVEL "${_quantlab_saved_log_level}")
  # LibTorch's package turns CMAKE_CUDA_ARCHITECTURES off and writes -gencode
  # flags for TORCH_CUDA_ARCH_LIST into CMAKE_CUDA_FLAGS; QuantLab's own CUDA
  # code (the fused ops' kernels) is compiled for CMAKE_CUDA_ARCHITECTURES.
  set(CMAKE_CUDA_ARCHITECTURES "${_quantlab_cuda_architectures}")
  string(REGEX REPLACE "-gencode[ =]arch=compute_[0-9a-z]+,code=[][a-z_0-9,]+" "" CMAKE_CUDA_FLAGS "${CMAKE_CUDA_FLAGS}")
  # A wheel's LibTorch finds its CUDA libraries (nvidia-* wheels beside it)
  # through its own RPATH at run time; the linker needs them named, or it
  # takes the toolkit's older NCCL for the wheel's.
  file(GLOB _wheel_cuda_libs LIST_DIRECTORIES true "${QUANTLAB_TORCH_PREFIX}/../nvidia/*/lib")
  foreach(_dir IN LISTS _wheel_cuda_libs)
    set_property(TARGET torch APPEND PROPERTY INTERFACE_LINK_OPTIONS "LINKER:-rpath-link,${_dir}")
  endforeach()
  message(STATUS "QuantLab: LibTorch ${QUANTLAB_TORCH_VERSION} (CUDA ${QUANTLAB_TORCH_CUDA}, nvcc ${QUANTLAB_NVCC_VERSION}) from ${QUANTLAB_TORCH_PREFIX}")
else()
  # LibTorch's CPU libraries alone: its CMake package would insist on a CUDA
  # toolkit for a CUDA LibTorch.
  file(STRINGS "${_torch_cmake_dir}/TorchConfig.cmake" _abi_line REGEX "_GLIBCXX_USE_CXX11_ABI=[01]")
  set(_abi 1)
  if(_abi_line MATCHES "_GLIBCXX_USE_CXX11_ABI=([01])")
    set(_abi ${CMAKE_MATCH_1})
  endif()
  add_library(torch INTERFACE IMPORTED GLOBAL)
  set_target_properties(torch PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${QUANTLAB_TORCH_PREFIX}/include;${QUANTLAB_TORCH_PREFIX}/include/torch/csrc/api/include"
    INTERFACE_COMPILE_DEFINITIONS "_GLIBCXX_USE_CXX11_ABI=${_abi}"
    INTERFACE_LINK_LIBRARIES "${QUANTLAB_TORCH_PREFIX}/lib/libtorch_cpu.so;${QUANTLAB_TORCH_PREFIX}/lib/libc10.so")
  target_compile_features(torch INTERFACE cxx_std_20)
  set(Torch_VERSION "${QUANTLAB_TORCH_VERSION}")
  message(STATUS "QuantLab: LibTorch ${QUANTLAB_TORCH_VERSION} (CPU-only build) from ${QUANTLAB_TORCH_PREFIX}")
endif()
set(Torch_DIR "${_torch_cmake_dir}" CACHE PATH "LibTorch's CMake folder" FORCE)

# qlhost, QuantLab's libraries and plugins find LibTorch's libraries (and the wheel's
# CUDA libraries, through LibTorch's own RPATH) without LD_LIBRARY_PATH.
list(APPEND CMAKE_BUILD_RPATH "${QUANTLAB_TORCH_PREFIX}/lib")
list(APPEND CMAKE_INSTALL_RPATH "${QUANTLAB_TORCH_PREFIX}/lib")

# quantlab_shadow_torch_fmt(<fmt include dir>): LibTorch 2.x ships fmt 12's
# headers in its include folder, where they would shadow the fmt that Debian's
# spdlog is built against (a different major version: spdlog's headers fail
# to compile, or worse, link against the other ABI). A folder holding only a
# link to the system's fmt goes before LibTorch's include folders.
function(quantlab_shadow_torch_fmt fmt_include_dir)
  set(shim "${PROJECT_BINARY_DIR}/include-fmt")
  file(MAKE_DIRECTORY "${shim}")
  file(CREATE_LINK "${fmt_include_dir}/fmt" "${shim}/fmt" SYMBOLIC)
  get_target_property(dirs torch INTERFACE_INCLUDE_DIRECTORIES)
  set_target_properties(torch PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${shim};${dirs}")
  set_property(TARGET torch APPEND PROPERTY INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${shim}")
endfunction()

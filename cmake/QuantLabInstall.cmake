# The QuantLab CMake package, so a problem plugin builds out of tree with
#   find_package(QuantLab REQUIRED)
#   quantlab_add_plugin(myproblem MyProblem.cpp)
# It is usable from an install prefix (cmake --install) and straight from this
# build tree (-DQuantLab_DIR=<build dir>). A plugin must be built against the
# same package the host comes from: the host refuses another LibTorch, C++ ABI
# or compiler.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QUANTLAB_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/QuantLab)

# The installed host finds the installed libraries beside it, and they each other.
file(RELATIVE_PATH _quantlab_bin_to_lib
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR} ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
set_target_properties(qlhost PROPERTIES INSTALL_RPATH "$ORIGIN/${_quantlab_bin_to_lib}")
foreach(_layer quantlab_base quantlib quantlab_sdk quantlab_manager quantlab_training)
  set_property(TARGET ${_layer} APPEND PROPERTY INSTALL_RPATH "$ORIGIN")
endforeach()

# A plugin links the SDK and the layers below it; the manager's layers are
# the host's own.
install(TARGETS quantlab_base quantlib quantlab_sdk qlhost EXPORT QuantLabTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS quantlab_manager quantlab_training LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The headers of the layers a plugin compiles against.
foreach(_root IN LISTS QUANTLAB_BOUNDARY_ROOTS)
  install(DIRECTORY ${_root}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES ${QUANTLAB_BUILD_IDENTITY_HEADER} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/quantlab)

# What the config checks a consumer against: the compiler must match the one
# the libraries were built with (the host compares its major version), and
# LibTorch must be the very same version.
set(QUANTLAB_CXX_COMPILER_ID ${CMAKE_CXX_COMPILER_ID})
string(REGEX MATCH "^[0-9]+" QUANTLAB_CXX_COMPILER_MAJOR "${CMAKE_CXX_COMPILER_VERSION}")

# Installed package.
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/QuantLabConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/install/QuantLabConfig.cmake
  INSTALL_DESTINATION ${QUANTLAB_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/QuantLabConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(EXPORT QuantLabTargets NAMESPACE QuantLab:: DESTINATION ${QUANTLAB_INSTALL_CMAKEDIR})
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/install/QuantLabConfig.cmake
  ${PROJECT_BINARY_DIR}/QuantLabConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/QuantLabPlugin.cmake
  ${PROJECT_SOURCE_DIR}/cmake/QuantLabTorch.cmake
  DESTINATION ${QUANTLAB_INSTALL_CMAKEDIR})

# Build-tree package: the same files in the build folder's root, with targets
# that point at this build's library, headers and host.
export(EXPORT QuantLabTargets NAMESPACE QuantLab:: FILE ${PROJECT_BINARY_DIR}/QuantLabTargets.cmake)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/QuantLabConfig.cmake.in
  ${PROJECT_BINARY_DIR}/QuantLabConfig.cmake
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
  INSTALL_PREFIX ${PROJECT_BINARY_DIR})
configure_file(${PROJECT_SOURCE_DIR}/cmake/QuantLabPlugin.cmake
  ${PROJECT_BINARY_DIR}/QuantLabPlugin.cmake COPYONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/QuantLabTorch.cmake
  ${PROJECT_BINARY_DIR}/QuantLabTorch.cmake COPYONLY)

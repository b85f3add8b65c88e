# Install settings that must come before any install() rule (included near
# the top of the top CMakeLists.txt; the rules are in cmake/install.cmake).
#
# install() rules without a COMPONENT (the programs, man pages, variants)
# belong to the runtime component, the package `nutgraf`.
set(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME runtime)
# A Release build installs stripped programs and libnutgraf.so (as
# `cmake --install build --strip` does for any build type); other build types
# keep their debugging symbols unless --strip is given.  The static library is
# never stripped.
if(CMAKE_BUILD_TYPE STREQUAL "Release")
  install(CODE "if(NOT DEFINED CMAKE_INSTALL_DO_STRIP)\n  set(CMAKE_INSTALL_DO_STRIP 1)\nendif()" ALL_COMPONENTS)
endif()

# libnutgraf.so, for programs that embed nutgraf (included at the end of
# lib/CMakeLists.txt, in that directory's scope).
#
# The programs keep linking the static `nutgraf` target, built as it always
# was (see NG_PIE in the top CMakeLists.txt).  This target compiles the same
# sources -- read from the static target, so a module added there is here
# too -- a second time as position-independent code, links libstemmer's
# shared library (not its static archive, which the programs use), exports
# only the ng_ symbols (libnutgraf.map) and refuses undefined symbols.  Its
# file is libnutgraf.so.<project version>, its soname libnutgraf.so.<NG_SOVERSION>:
# 0 for 0.x; raise it with any change that breaks the ABI (a removed or
# changed function, a changed struct without a new _VERSION).
set(NG_SOVERSION 0)
find_library(NG_STEMMER_SHARED_LIBRARY NAMES libstemmer.so stemmer REQUIRED)

get_target_property(ng_sources nutgraf SOURCES)
add_library(nutgraf_shared SHARED ${ng_sources})
add_dependencies(nutgraf_shared nutgraf_variants_data)
foreach(prop INCLUDE_DIRECTORIES INTERFACE_INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS)
  get_target_property(value nutgraf ${prop})
  if(value)
    set_property(TARGET nutgraf_shared PROPERTY ${prop} "${value}")
  endif()
endforeach()
set(ng_map ${CMAKE_CURRENT_SOURCE_DIR}/libnutgraf.map)
set_target_properties(nutgraf_shared PROPERTIES
  OUTPUT_NAME nutgraf
  EXPORT_NAME nutgraf
  VERSION ${PROJECT_VERSION}
  SOVERSION ${NG_SOVERSION}
  POSITION_INDEPENDENT_CODE ON
  LINK_DEPENDS ${ng_map})
target_link_options(nutgraf_shared PRIVATE -Wl,--version-script=${ng_map})
# A sanitizer or fuzzer build leaves its runtime's symbols to the executable.
if(NOT NG_SANITIZE AND NOT NG_FUZZ)
  target_link_options(nutgraf_shared PRIVATE -Wl,--no-undefined)
endif()
target_link_libraries(nutgraf_shared PRIVATE PkgConfig::SQLITE3 PkgConfig::JANSSON
                      ${NG_STEMMER_SHARED_LIBRARY} Threads::Threads m)

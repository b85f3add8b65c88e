# What `cmake --install` puts under the prefix besides the programs, man
# pages and variants (installed where they are built), and the .deb packages
# (cmake/package.cmake).  Included at the end of the top CMakeLists.txt.
#
# Two components, one package each:
#   runtime  nutgraf         bin/nutgraf-index, bin/nutgraf-query, the man pages,
#                            LIBDIR/libnutgraf.so.0*, share/nutgraf/variants.txt,
#                            bash and zsh completions, share/doc/nutgraf/
#   dev      libnutgraf-dev  include/nutgraf.h, LIBDIR/libnutgraf.a, LIBDIR/libnutgraf.so,
#                            LIBDIR/pkgconfig/nutgraf.pc, LIBDIR/cmake/nutgraf/
# Everything installed without a COMPONENT is runtime (set at the top).
#
# The systemd units and the crontab line are examples, in
# share/doc/nutgraf/examples: each names the folder a site indexes, which
# only its administrator knows, and systemd reads units only from its own
# directories (/usr/lib/systemd, /usr/local/lib/systemd, ~/.config/systemd),
# not from every prefix.  nutgraf-index(1), EXAMPLES, says how to use them.
include(CMakePackageConfigHelpers)

set(NG_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/nutgraf)

# The library: the shared one for embedders (nutgraf::nutgraf), the static
# one the programs use (nutgraf::nutgraf_static).
set_target_properties(nutgraf PROPERTIES EXPORT_NAME nutgraf_static)
install(TARGETS nutgraf_shared nutgraf EXPORT nutgrafTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(FILES include/nutgraf.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

# find_package(nutgraf): nutgraf::nutgraf (shared), nutgraf::nutgraf_static.
install(EXPORT nutgrafTargets NAMESPACE nutgraf:: DESTINATION ${NG_CMAKEDIR} COMPONENT dev)
configure_package_config_file(cmake/nutgrafConfig.cmake.in ${PROJECT_BINARY_DIR}/nutgrafConfig.cmake
                              INSTALL_DESTINATION ${NG_CMAKEDIR})
# 0.x: a new minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nutgrafConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nutgrafConfig.cmake ${PROJECT_BINARY_DIR}/nutgrafConfigVersion.cmake
        DESTINATION ${NG_CMAKEDIR} COMPONENT dev)

# ng_install_configured(TEMPLATE DESTINATION COMPONENT): installs
# TEMPLATE (without its .in) into DESTINATION with @NG_PREFIX@, @NG_BINDIR@,
# @NG_LIBDIR@, @NG_INCLUDEDIR@ and @NG_VERSION@ replaced by this
# installation's directories.  They are known only when the installation
# runs (`cmake --install build --prefix P`, or cpack's /usr), not at
# configure time, so the file is configured then, in a directory of the
# build tree of its own for each destination.
function(ng_install_configured template destination component)
  get_filename_component(name ${template} NAME)
  string(REGEX REPLACE "\\.in$" "" name ${name})
  set(dirs "")
  foreach(pair BINDIR:${CMAKE_INSTALL_BINDIR} LIBDIR:${CMAKE_INSTALL_LIBDIR}
               INCLUDEDIR:${CMAKE_INSTALL_INCLUDEDIR} DEST:${destination})
    string(REGEX MATCH "^[A-Z]+" key ${pair})
    string(REGEX REPLACE "^[A-Z]+:" "" dir ${pair})
    if(NOT IS_ABSOLUTE "${dir}")
      set(dir "\${CMAKE_INSTALL_PREFIX}/${dir}")
    endif()
    string(APPEND dirs "set(NG_${key} \"${dir}\")\n")
  endforeach()
  install(CODE "
${dirs}set(NG_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
set(NG_VERSION \"${PROJECT_VERSION}\")
string(MD5 ng_where \"\$ENV{DESTDIR}\${NG_DEST}\")
set(ng_configured \"${PROJECT_BINARY_DIR}/configured/\${ng_where}/${name}\")
configure_file(\"${PROJECT_SOURCE_DIR}/${template}\" \"\${ng_configured}\" @ONLY)
file(INSTALL \"\${ng_configured}\" DESTINATION \"\${NG_DEST}\")
" COMPONENT ${component})
endfunction()

ng_install_configured(cmake/nutgraf.pc.in ${CMAKE_INSTALL_LIBDIR}/pkgconfig dev)

# Shell completions, in the directories Debian's bash-completion and zsh read.
install(FILES completions/bash/nutgraf-index completions/bash/nutgraf-query
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES completions/zsh/_nutgraf-index completions/zsh/_nutgraf-query
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
# nutgraf-serve's, with the program (serve/CMakeLists.txt).

# Documentation and examples.
install(FILES README.md dist/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
ng_install_configured(dist/nutgraf-index.service.in ${CMAKE_INSTALL_DOCDIR}/examples runtime)
install(FILES dist/nutgraf-index.timer DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
ng_install_configured(dist/crontab.in ${CMAKE_INSTALL_DOCDIR}/examples runtime)
ng_install_configured(dist/watch.crontab.in ${CMAKE_INSTALL_DOCDIR}/examples runtime)

include(${PROJECT_SOURCE_DIR}/cmake/package.cmake)

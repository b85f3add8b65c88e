# Debian packages with CPack (included by cmake/install.cmake):
#   cmake --build build --target package      or   (cd build && cpack -G DEB)
# writes nutgraf_<version>-1_<arch>.deb (component runtime: the programs,
# libnutgraf.so.0, man pages, completions, documentation) and
# libnutgraf-dev_<version>-1_<arch>.deb (component dev: header, static
# library, pkg-config file, CMake package), both installing under /usr.
# The runtime package's Depends come from dpkg-shlibdeps (package dpkg-dev);
# the development package depends on the runtime package of the same
# version and on the -dev packages libnutgraf.a needs.  Files are stripped.
set(NG_PACKAGE_MAINTAINER "nutgraf maintainers <nutgraf@example.org>"
    CACHE STRING "Maintainer field of the .deb packages")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nutgraf)
set(CPACK_PACKAGE_VENDOR nutgraf)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${NG_PACKAGE_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${NG_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME nutgraf)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION text)
# A shlibs file, so that dpkg-shlibdeps of a program linked with
# libnutgraf.so.0 finds the package (CPack writes one only for packages that
# hold a shared library, and calls ldconfig on install and removal itself).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "paragraph search for news desks
nutgraf-index keeps an SQLite FTS5 index of the paragraphs of news articles
(plain text in the layouts desks produce, in any common encoding, or JSON
Lines feeds), stemmed with Snowball, and brings it up to date incrementally.
nutgraf-query returns the passages that best match a query, highlighted, as
text, path:line: for editors, or JSON.

This package holds both programs, their manual pages and shell completions,
and the shared library libnutgraf.so.0 they are built from.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libnutgraf-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "nutgraf (= ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}), libsqlite3-dev, libjansson-dev, libstemmer-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS pkg-config)
set(CPACK_DEBIAN_DEV_DESCRIPTION "paragraph search for news desks (development files)
libnutgraf indexes the paragraphs of news articles in SQLite FTS5, stemmed
with Snowball, and searches them: the engine of nutgraf-index and
nutgraf-query, for programs that embed it.

This package holds the header nutgraf.h, the static library, the pkg-config
file nutgraf.pc and the CMake package (find_package(nutgraf)).")

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")

include(CPack)

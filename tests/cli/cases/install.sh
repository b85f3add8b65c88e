# Installing (README, "Installing and linking"): `cmake --install` puts
# every file where the README says, and nothing else; a program that embeds
# libnutgraf builds against the installed files with pkg-config (shared and
# static) and with find_package(nutgraf), and finds what nutgraf-query
# finds; libnutgraf.so exports only ng_ symbols; the installed crontab line
# is silent unless something went wrong.  As root, with dpkg and with
# NG_TEST_DEB=1 (set by .ci/run), the .deb packages are built with cpack,
# installed, used and removed; otherwise that part is skipped with a note.

P=$T/prefix
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$NG_BIN/CMakeCache.txt"; }
libdir=$(cache_value CMAKE_INSTALL_LIBDIR)
# The build type as the build saw it (the top CMakeLists.txt sets a default
# the cache does not hold).
build_type=$(sed -n 's/^ *set(CMAKE_INSTALL_CONFIG_NAME "\(.*\)")$/\1/p' "$NG_BIN/cmake_install.cmake")
version=$(sed -n 's/^project(nutgraf VERSION \([0-9.]*\).*/\1/p' "$NG_SRC/CMakeLists.txt")
config=$(printf '%s' "${build_type:-noconfig}" | tr '[:upper:]' '[:lower:]')
if [ -z "$libdir" ] || [ -z "$version" ]; then
  fail "could not read CMAKE_INSTALL_LIBDIR and the version" "libdir '$libdir', version '$version'"
fi

# Programs built here are built as the library was (sanitizers included).
sanitize=()
# shellcheck disable=SC2054 # one option with a comma
[ "${NG_SANITIZED:-0}" = 1 ] && sanitize=(-fsanitize=address,undefined)

# --- cmake --install --------------------------------------------------------

run cmake --install "$NG_BIN" --prefix "$P"
expect_status 0 "cmake --install into a prefix"

expected="bin/nutgraf-index
bin/nutgraf-query
include/nutgraf.h
$libdir/libnutgraf.so.$version
$libdir/libnutgraf.so.0
$libdir/libnutgraf.so
$libdir/libnutgraf.a
$libdir/pkgconfig/nutgraf.pc
$libdir/cmake/nutgraf/nutgrafConfig.cmake
$libdir/cmake/nutgraf/nutgrafConfigVersion.cmake
$libdir/cmake/nutgraf/nutgrafTargets.cmake
$libdir/cmake/nutgraf/nutgrafTargets-$config.cmake
share/man/man1/nutgraf-index.1
share/man/man1/nutgraf-query.1
share/man/man7/nutgraf-syntax.7
share/nutgraf/variants.txt
share/bash-completion/completions/nutgraf-index
share/bash-completion/completions/nutgraf-query
share/zsh/vendor-completions/_nutgraf-index
share/zsh/vendor-completions/_nutgraf-query
share/doc/nutgraf/README.md
share/doc/nutgraf/copyright
share/doc/nutgraf/examples/crontab
share/doc/nutgraf/examples/nutgraf-index.service
share/doc/nutgraf/examples/nutgraf-index.timer
share/doc/nutgraf/examples/watch.crontab"
# nutgraf-serve is built only where libmicrohttpd is (CI installs it).
if [ -x "$NG_BIN/serve/nutgraf-serve" ]; then
  expected="$expected
bin/nutgraf-serve
share/man/man1/nutgraf-serve.1
share/bash-completion/completions/nutgraf-serve
share/zsh/vendor-completions/_nutgraf-serve
share/doc/nutgraf/examples/nutgraf-serve.service"
fi
got=$(cd "$P" 2>/dev/null && find . ! -type d | sed 's#^\./##' | sort)
expect_eq "$got" "$(printf '%s\n' "$expected" | sort)" "the prefix holds exactly the files of the README's list"

expect_eq "$(readlink "$P/$libdir/libnutgraf.so"):$(readlink "$P/$libdir/libnutgraf.so.0")" \
  "libnutgraf.so.0:libnutgraf.so.$version" "libnutgraf.so -> libnutgraf.so.0 -> libnutgraf.so.$version"
expect_match "$(readelf -d "$P/$libdir/libnutgraf.so.$version" 2>&1)" 'SONAME.*\[libnutgraf\.so\.0\]' "the soname is libnutgraf.so.0"
expect_no_match "$(readelf -d "$P/bin/nutgraf-query" "$P/bin/nutgraf-index" 2>&1)" 'NEEDED.*libnutgraf' \
  "the programs link libnutgraf statically"
expect_match "$(readelf -d "$P/$libdir/libnutgraf.so.$version" 2>&1)" 'NEEDED.*\[libstemmer\.so' \
  "libnutgraf.so links libstemmer's shared library"
expect_match "$("$P/bin/nutgraf-query" --version 2>&1)" "^nutgraf-query: nutgraf $version, " "the installed nutgraf-query runs"

# Stripped in a Release build or with --strip; not otherwise.
stripped() { file -L "$@" | grep -c ', stripped$'; }
if [ "$build_type" = Release ]; then
  expect_eq "$(stripped "$P/bin/nutgraf-index" "$P/bin/nutgraf-query" "$P/$libdir/libnutgraf.so")" 3 \
    "a Release build installs stripped programs and library"
else
  expect_eq "$(stripped "$P/bin/nutgraf-index" "$P/bin/nutgraf-query" "$P/$libdir/libnutgraf.so")" 0 \
    "a $build_type build installs programs and library with their symbols"
fi
run cmake --install "$NG_BIN" --prefix "$T/stripped" --component runtime --strip
expect_eq "$(stripped "$T/stripped/bin/nutgraf-index" "$T/stripped/bin/nutgraf-query" "$T/stripped/$libdir/libnutgraf.so.0")" 3 \
  "cmake --install --strip strips the programs and the library"
expect_match "$(nm "$P/$libdir/libnutgraf.a" 2>/dev/null)" ' T ng_search$' "the static library keeps its symbol table"

# Only the public API leaves the shared library.
exported=$(nm -D --defined-only "$P/$libdir/libnutgraf.so" | awk '{ print $NF }' | sort)
expect_eq "$(printf '%s\n' "$exported" | grep -v '^ng_')" "" "libnutgraf.so exports only ng_ symbols ($(printf '%s\n' "$exported" | grep -c '^ng_') of them)"
declared=$(grep -oE '\bng_[a-z0-9_]+\(' "$P/include/nutgraf.h" | tr -d '(' | sort -u)
expect_eq "$(comm -13 <(printf '%s\n' "$exported") <(printf '%s\n' "$declared"))" "" "every function of nutgraf.h is exported"
expect_eq "$(comm -23 <(printf '%s\n' "$exported") <(printf '%s\n' "$declared"))" "" \
  "libnutgraf.so exports nothing but nutgraf.h's functions (internal symbols are ngi_, and local)"

# --- programs that embed libnutgraf ------------------------------------------

run "$P/bin/nutgraf-index" --quiet fixtures/articles
expect_status 0 "the installed nutgraf-index indexes fixtures/articles"
# From /, nutgraf-query prints paths as stored (absolute), as ng_search returns them.
want=$(cd / && "$P/bin/nutgraf-query" --files ceasefire)
expect_match "$want" '/fixtures/articles/summit-geneva\.txt$' "nutgraf-query --files ceasefire finds the Geneva summit"

mkdir -p demo && cat >demo/demo.c <<'EOF'
/* Prints the files of the index argv[1] that match the query argv[2]. */
#include <nutgraf.h>
#include <stdio.h>

int main(int argc, char **argv) {
  ng_index *idx = NULL;
  ng_results *res = NULL;
  const ng_hit *hit;
  ng_search_options opts = NG_SEARCH_OPTIONS_INIT;
  opts.per_document = 1; /* a file once, like nutgraf-query --files */
  int rc = argc == 3 ? ng_index_open(&idx, argv[1], NULL) : NG_EUSAGE;
  if (rc == NG_OK) rc = ng_search(idx, argv[2], &opts, &res);
  while (rc >= 0 && (rc = ng_results_next(res, &hit)) == NG_ROW) puts(hit->path);
  if (rc < 0) fprintf(stderr, "demo: %s\n", ng_index_errmsg(idx));
  ng_results_free(res);
  ng_index_close(idx);
  return rc < 0;
}
EOF

pc() { PKG_CONFIG_PATH="$P/$libdir/pkgconfig" pkg-config "$@"; }
expect_eq "$(pc --modversion nutgraf 2>&1)" "$version" "pkg-config finds nutgraf $version in the prefix"

# shellcheck disable=SC2046 # pkg-config's words are meant to split
run cc -Wall -Wextra -Werror "${sanitize[@]}" -o demo/shared demo/demo.c $(pc --cflags --libs nutgraf)
expect_status 0 "cc demo.c \$(pkg-config --cflags --libs nutgraf)"
expect_match "$(readelf -d demo/shared 2>&1)" 'NEEDED.*\[libnutgraf\.so\.0\]' "the pkg-config build links libnutgraf.so.0"
run env LD_LIBRARY_PATH="$P/$libdir" demo/shared "$NUTGRAF_INDEX" ceasefire
expect_eq "$OUT" "$want" "demo (libnutgraf.so, pkg-config) prints nutgraf-query's hits"

static_libs=$(pc --static --libs nutgraf)
# shellcheck disable=SC2046,SC2086
run cc -Wall -Wextra -Werror "${sanitize[@]}" -o demo/static demo/demo.c $(pc --cflags nutgraf) ${static_libs/-lnutgraf/-l:libnutgraf.a}
expect_status 0 "cc demo.c with pkg-config --static and libnutgraf.a"
expect_no_match "$(readelf -d demo/static 2>&1)" 'NEEDED.*libnutgraf' "the static build needs no libnutgraf.so"
run demo/static "$NUTGRAF_INDEX" ceasefire
expect_eq "$OUT" "$want" "demo (libnutgraf.a, pkg-config --static) prints nutgraf-query's hits"

mkdir -p cmake-demo && cat >cmake-demo/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.16)
project(demo LANGUAGES C)
find_package(nutgraf $version REQUIRED)
add_executable(demo-shared $T/demo/demo.c)
target_link_libraries(demo-shared PRIVATE nutgraf::nutgraf)
add_executable(demo-static $T/demo/demo.c)
target_link_libraries(demo-static PRIVATE nutgraf::nutgraf_static)
EOF
run cmake -S cmake-demo -B cmake-demo/build -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_FLAGS="${sanitize[*]}"
expect_status 0 "a CMake project finds nutgraf with find_package"
run cmake --build cmake-demo/build
expect_status 0 "it builds against nutgraf::nutgraf and nutgraf::nutgraf_static"
expect_match "$(readelf -d cmake-demo/build/demo-shared 2>&1)" 'NEEDED.*\[libnutgraf\.so\.0\]' "nutgraf::nutgraf is libnutgraf.so.0"
expect_no_match "$(readelf -d cmake-demo/build/demo-static 2>&1)" 'NEEDED.*libnutgraf' "nutgraf::nutgraf_static is libnutgraf.a"
# CMake gives its build a run path to the prefix's library.
run cmake-demo/build/demo-shared "$NUTGRAF_INDEX" ceasefire
expect_eq "$OUT" "$want" "demo (find_package, nutgraf::nutgraf) prints nutgraf-query's hits"
run cmake-demo/build/demo-static "$NUTGRAF_INDEX" ceasefire
expect_eq "$OUT" "$want" "demo (find_package, nutgraf::nutgraf_static) prints nutgraf-query's hits"

# --- the variants come from the installed data file ---------------------------

# The installed programs find share/nutgraf/variants.txt of their prefix,
# and so does a program linked with the prefix's libnutgraf.so; editing the
# file changes what a search finds; without the file, the built-in list.
# ($NUTGRAF_DATADIR, which run-case.sh sets for the build tree, would
# override the lookup: it is unset here but where said.)
vfile=$P/share/nutgraf/variants.txt
iq() { (cd / && env -u NUTGRAF_DATADIR "$P/bin/nutgraf-query" --files "$@"); }
geneva=$(printf '%s\n' "$want" | grep 'summit-geneva\.txt$')
kyiv=$(iq Kyiv)
expect_match "$kyiv" 'summit-geneva\.txt$' "the installed nutgraf-query finds Kyiv"
expect_eq "$(iq Kiev)" "$kyiv" "installed: Kiev finds what Kyiv finds (the file's Kyiv, Kiev line)"
sed -i '/^Kyiv, Kiev/d' "$vfile"
printf 'qqzx, Geneva\n' >>"$vfile"
run iq Kiev
expect_eq "$status:$OUT" "1:" "the line taken out of the installed file: Kiev no longer finds Kyiv"
expect_eq "$(iq qqzx)" "$geneva" "a line added to the installed file: qqzx finds Geneva"
expect_eq "$(cd / && env -u NUTGRAF_DATADIR LD_LIBRARY_PATH="$P/$libdir" "$T/demo/shared" "$NUTGRAF_INDEX" qqzx)" "$geneva" \
  "a program linked with the prefix's libnutgraf.so reads the same file"
mkdir -p mydata && printf 'zzqq, Geneva\n' >mydata/variants.txt
expect_eq "$(cd / && NUTGRAF_DATADIR=$T/mydata "$P/bin/nutgraf-query" --files zzqq)" "$geneva" "NUTGRAF_DATADIR names another directory"
run env NUTGRAF_DATADIR="$T/mydata" "$P/bin/nutgraf-query" --files qqzx
expect_eq "$status" 1 "whose file replaces the installed one"
mv "$vfile" "$vfile.moved"
expect_eq "$(iq Kiev)" "$kyiv" "no installed file: the built-in list (Kiev finds Kyiv again)"
run iq qqzx
expect_eq "$status" 1 "and not the edited file's lines"
mv "$vfile.moved" "$vfile"

# --- the examples --------------------------------------------------------------

# The crontab line, on fixtures/, with its own index: silent when all went
# well and when an earlier run still holds the index; not when a folder is
# missing.
cron=$(grep -v '^#' "$P/share/doc/nutgraf/examples/crontab" | sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]* //p')
expect_eq "$cron" "$P/bin/nutgraf-index --quiet --no-wait /srv/news" "the crontab line is the README's, with the installed nutgraf-index"
cron_run() { NUTGRAF_INDEX=$T/cron.db sh -c "${cron//\/srv\/news/$1}" 2>&1; }
expect_eq "$(cron_run "$T/fixtures/articles")" "" "the crontab line prints nothing when it indexes"
expect_eq "$(cron_run "$T/fixtures/articles")" "" "the crontab line prints nothing on a second run"
# The holder is a subshell that becomes sleep, so killing it frees the lock.
(exec 9>"$T/cron.db.lock" && flock 9 && exec sleep 60) >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do flock -n "$T/cron.db.lock" true || break; sleep 0.1; done
run env NUTGRAF_INDEX="$T/cron.db" "$P/bin/nutgraf-index" --quiet --no-wait "$T/fixtures/articles"
# shellcheck disable=SC2154 # status is set by run (lib.sh)
expect_eq "$status:$OUT$ERR" "75:" "a busy index: nutgraf-index --quiet --no-wait exits 75 and prints nothing"
run env NUTGRAF_INDEX="$T/cron.db" "$P/bin/nutgraf-index" --no-wait "$T/fixtures/articles"
expect_match "$status $ERR" '^75 .*being updated by another nutgraf-index' "without --quiet it says why"
expect_eq "$(cron_run "$T/fixtures/articles")" "" "the crontab line prints nothing when an earlier run holds the index"
# Two at once against the busy index (issue 13, item 7): both silent.
cron_run "$T/fixtures/articles" >cron1.out &
cron_run "$T/fixtures/articles" >cron2.out
wait $!
expect_eq "$(cat cron1.out cron2.out)" "" "the crontab line run twice at once against a busy index prints nothing"
kill "$holder"
wait "$holder" 2>/dev/null
expect_match "$(cron_run "$T/no-such-folder")" 'error: .*no-such-folder' "the crontab line prints the error when a folder is missing"

service=$P/share/doc/nutgraf/examples/nutgraf-index.service
expect_match "$(cat "$service")" "^ExecStart=$P/bin/nutgraf-index --quiet --no-wait " "the example service runs the installed nutgraf-index"
if command -v systemd-analyze >/dev/null 2>&1; then
  run systemd-analyze verify "$service" "$P/share/doc/nutgraf/examples/nutgraf-index.timer"
  expect_eq "$status:$OUT$ERR" "0:" "systemd-analyze verify finds nothing wrong with the example units"
fi

# --- the .deb packages ---------------------------------------------------------

deb_skip=""
if [ "${NG_TEST_DEB:-0}" != 1 ]; then
  deb_skip="NG_TEST_DEB is not 1"
elif [ "$(id -u)" -ne 0 ]; then
  deb_skip="not root"
elif ! command -v dpkg >/dev/null || ! command -v cpack >/dev/null || ! command -v dpkg-shlibdeps >/dev/null; then
  deb_skip="dpkg, cpack or dpkg-shlibdeps (dpkg-dev) is missing"
elif [ "${NG_SANITIZED:-0}" = 1 ]; then
  deb_skip="a sanitizer build is not installed into /usr (the normal build checks the packages)"
elif dpkg-query -W -f='${Status}\n' nutgraf libnutgraf-dev 2>/dev/null | grep -q 'ok installed'; then
  deb_skip="a nutgraf package is already installed on this machine"
fi

if [ -n "$deb_skip" ]; then
  echo "note: the .deb packages were not checked: $deb_skip"
else
  run cpack -G DEB --config "$NG_BIN/CPackConfig.cmake" -B "$T/pkg"
  expect_status 0 "cpack -G DEB"
  deb=$(ls "$T"/pkg/nutgraf_*.deb 2>/dev/null)
  dev=$(ls "$T"/pkg/libnutgraf-dev_*.deb 2>/dev/null)
  expect_match "$deb $dev" "nutgraf_${version}-1_[a-z0-9]+\\.deb .*libnutgraf-dev_${version}-1_[a-z0-9]+\\.deb" "cpack wrote nutgraf and libnutgraf-dev"
  fields=$(dpkg-deb -f "$deb" Package Section Maintainer Depends Description 2>&1)
  expect_match "$fields" '^Depends: .*libc6.*' "nutgraf's Depends (dpkg-shlibdeps) name libc6"
  for p in libsqlite3-0 libjansson4 libstemmer0d; do
    expect_match "$fields" "^Depends: .*$p \\(>= " "nutgraf's Depends name $p"
  done
  expect_match "$fields" '^Section: text' "nutgraf's section is text"
  expect_match "$fields" '^Maintainer: .+<.+@.+>' "nutgraf has a maintainer"
  expect_match "$fields" '^Description: paragraph search for news desks' "nutgraf has a description"
  expect_match "$(dpkg-deb -f "$dev" Depends)" "^nutgraf \\(= ${version}-1\\), " "libnutgraf-dev depends on its nutgraf"
  expect_no_match "$(dpkg-deb -c "$deb"; dpkg-deb -c "$dev")" ' \./([^u]|u[^s]|us[^r])' "the packages install under /usr only"

  run dpkg -i "$deb" "$dev"
  expect_status 0 "dpkg -i nutgraf libnutgraf-dev"
  files=$(dpkg -L nutgraf libnutgraf-dev 2>/dev/null)
  expect_match "$(/usr/bin/nutgraf-index --version 2>&1)" "^nutgraf-index: nutgraf $version, " "/usr/bin/nutgraf-index --version"
  expect_match "$(/usr/bin/nutgraf-query --version 2>&1)" "^nutgraf-query: nutgraf $version, " "/usr/bin/nutgraf-query --version"
  expect_eq "$(man -w nutgraf-query 2>&1)" /usr/share/man/man1/nutgraf-query.1 "man -w nutgraf-query"
  expect_eq "$(man -w 7 nutgraf-syntax 2>&1)" /usr/share/man/man7/nutgraf-syntax.7 "man -w 7 nutgraf-syntax"
  expect_eq "$(file -L /usr/bin/nutgraf-query | grep -c ', stripped$')" 1 "the packaged programs are stripped"
  expect_eq "$(cd / && env -u NUTGRAF_DATADIR /usr/bin/nutgraf-query --index "$NUTGRAF_INDEX" --files Kiev)" "$kyiv" \
    "the packaged nutgraf-query: Kiev finds Kyiv"
  sed -i '/^Kyiv, Kiev/d' /usr/share/nutgraf/variants.txt
  run env -u NUTGRAF_DATADIR /usr/bin/nutgraf-query --index "$NUTGRAF_INDEX" --files Kiev
  expect_eq "$status:$OUT" "1:" "/usr/share/nutgraf/variants.txt edited: Kiev no longer finds Kyiv"
  # shellcheck disable=SC2046
  run cc -o demo/system demo/demo.c $(pkg-config --cflags --libs nutgraf)
  expect_status 0 "demo.c builds against the installed package"
  run demo/system "$NUTGRAF_INDEX" ceasefire
  expect_eq "$OUT" "$want" "demo, linked with /usr's libnutgraf.so, prints nutgraf-query's hits"

  run dpkg -r libnutgraf-dev nutgraf
  expect_status 0 "dpkg -r libnutgraf-dev nutgraf"
  expect_eq "$(dpkg-query -W -f='${Status}\n' nutgraf libnutgraf-dev 2>/dev/null | grep -c 'ok installed')" 0 "neither package is installed any more"
  left=""
  while IFS= read -r f; do
    [ -n "$f" ] || continue
    if [ -L "$f" ] || [ -f "$f" ]; then
      left="$left $f"
    elif [ -d "$f" ] && [ -z "$(ls -A "$f")" ] && ! dpkg -S "$f" >/dev/null 2>&1; then
      left="$left $f/" # an empty directory no other package owns
    fi
  done <<EOF
$files
EOF
  expect_eq "$left" "" "dpkg -r removed every file dpkg -L listed ($(printf '%s\n' "$files" | grep -c '') paths)"
  # nutgraf's postrm (ldconfig) keeps it known to dpkg as removed until purged.
  run dpkg --purge nutgraf libnutgraf-dev
  expect_status 0 "dpkg --purge nutgraf libnutgraf-dev"
  expect_eq "$(dpkg-query -W -f='${Status}\n' nutgraf libnutgraf-dev 2>/dev/null | grep -v '^unknown ok not-installed$')" "" \
    "dpkg no longer knows either package"
fi

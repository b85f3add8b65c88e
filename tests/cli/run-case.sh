#!/usr/bin/env bash
# Runs one end-to-end case (a script in cases/) in a fresh temporary
# directory holding a copy of fixtures/, with the built programs on PATH,
# NUTGRAF_INDEX pointing into the directory and HOME inside it, so no case
# can touch the user's files or another case's.
#   NG_BIN  the build directory (set by ctest)
#   NG_SRC  the source directory (set by ctest)
#   UPDATE=1  rewrite expected outputs instead of comparing (see lib.sh)
set -u
case_file=$1
: "${NG_BIN:?}" "${NG_SRC:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/nutgraf-test.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/home"
cp -R "$NG_SRC/fixtures" "$T/fixtures"
export T HOME="$T/home" NUTGRAF_INDEX="$T/index.db" NO_COLOR=1 LC_ALL=C.UTF-8
export PATH="$NG_BIN/indexer:$NG_BIN/query:$PATH"
# The variants of the source tree, not of an installation elsewhere (the
# install case unsets it to check the installed file).
export NUTGRAF_DATADIR="$NG_SRC/data"
export CASE_NAME
CASE_NAME=$(basename "$case_file" .sh)
export SHARED="${NG_SHARED:-$NG_SRC/../shared}"
cd "$T" || exit 1
# shellcheck source=tests/cli/lib.sh
. "$NG_SRC/tests/cli/lib.sh"
# shellcheck disable=SC1090
. "$case_file"
finish

# The README's Quick start (issue 13, item 7): .ci/demo indexes fixtures/
# into an index inside the build tree and searches it, and leaves the
# user's default index alone -- with HOME a fresh directory (run-case.sh)
# and neither NUTGRAF_INDEX nor XDG_DATA_HOME set, nothing appears under
# ~/.local/share/nutgraf.  The demo is given this build (already configured:
# it only brings it up to date); it installs no package here (the case
# skips when one is missing).
. "$NG_SRC/.ci/deps.sh"
for p in "${NG_BUILD_DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || skip "package $p is missing: .ci/demo would install it"
done
rm -rf "$NG_BIN/demo"
run env -u NUTGRAF_INDEX -u XDG_DATA_HOME NG_BUILD="$NG_BIN" "$NG_SRC/.ci/demo"
expect_status 0 ".ci/demo"
expect_match "$OUT" "fixtures/articles/summit-geneva\\.txt:" "it finds the Geneva summit"
expect_match "$ERR" "^\\+ nutgraf-index --index $NG_BIN/demo/index.db fixtures$" "it indexes into the build tree"
expect_no_match "$OUT" "README" "fixtures/README.md is not indexed"
expect_eq "$(find "$HOME" -mindepth 1 | head -5)" "" "HOME is untouched: no ~/.local/share/nutgraf"
[ -f "$NG_BIN/demo/index.db" ] && pass "the index is $NG_BIN/demo/index.db" || fail "no index at $NG_BIN/demo/index.db"
rm -rf "$NG_BIN/demo"

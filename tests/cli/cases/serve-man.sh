# nutgraf-serve(1): lint-clean with mandoc, and in step with serve/options.c
# (every long and short option of the code is in an Fl macro of the page,
# and every option the page names exists).  man-pages.sh does the same for
# the other two programs.
page="$NG_SRC/man/nutgraf-serve.1"
code="$NG_SRC/serve/options.c"
[ -f "$page" ] || fail "man/nutgraf-serve.1 is missing"
long=$(sed -n '/struct option longopts\[\] *= *{/,/{NULL, *0, *NULL, *0}/p' "$code" | grep -o '{"[^"]*"' | sed 's/^{"//; s/"$//' | sort -u)
short=$(sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' "$code" | tr -d ':+-' | fold -w1 | sort -u)
[ -n "$long" ] && [ -n "$short" ] || fail "could not read the options of serve/options.c"
flags=$(awk '
  /^\.\\"/ { next }
  /^\./ {
    n = split(substr($0, 2), w, /[ \t]+/)
    in_fl = 0
    for (i = 1; i <= n; i++) {
      if (w[i] == "Fl") { in_fl = 1; continue }
      if (w[i] ~ /^([A-Z][a-z][a-z]?|D1)$/) { in_fl = 0; continue }
      if (!in_fl) continue
      a = w[i]
      gsub(/\\&/, "", a)
      if (a ~ /^-[a-z0-9][a-z0-9-]*$/) print "-" a
      else if (a ~ /^[A-Za-z0-9]+$/) for (k = 1; k <= length(a); k++) print "-" substr(a, k, 1)
    }
  }' "$page" | sort -u)
missing="" stale=""
for name in $long; do printf '%s\n' "$flags" | grep -qx -- "--$name" || missing="$missing --$name"; done
for name in $short; do printf '%s\n' "$flags" | grep -qx -- "-$name" || missing="$missing -$name"; done
for name in $flags; do
  case $name in
    --*) printf '%s\n' "$long" | grep -qx -- "${name#--}" || stale="$stale $name" ;;
    -?) printf '%s\n' "$short" | grep -qx -- "${name#-}" || stale="$stale $name" ;;
  esac
done
[ -z "$missing" ] && pass "nutgraf-serve.1 documents every option of serve/options.c" || fail "nutgraf-serve.1 lacks:$missing"
[ -z "$stale" ] && pass "nutgraf-serve.1 names no option the program lacks" || fail "nutgraf-serve.1 names options the program lacks:$stale"
# The usage text lists every long option too.
for name in $long; do
  grep -q -- "\"  .*--$name" "$code" || grep -q -- "--$name " "$code" || missing="$missing --$name"
done
[ -z "$missing" ] && pass "--help lists every long option" || fail "--help lacks:$missing"
if command -v mandoc >/dev/null 2>&1; then
  lint=$(cd "$NG_SRC/man" && mandoc -Tlint -W warning nutgraf-serve.1 2>&1)
  [ -z "$lint" ] && pass "nutgraf-serve.1: mandoc -Tlint -W warning is silent" || fail "nutgraf-serve.1: mandoc -Tlint" "$lint"
else
  echo "note: mandoc is not installed: the page was not linted"
fi

# dist/nutgraf-serve.service is a unit systemd accepts (when systemd-analyze
# is here), with the program's path replaced by the one built.
unit="$NG_SRC/dist/nutgraf-serve.service"
if [ ! -f "$unit" ]; then
  fail "dist/nutgraf-serve.service is missing"
elif command -v systemd-analyze >/dev/null 2>&1 && [ -x "$NG_BIN/serve/nutgraf-serve" ]; then
  sed "s#/usr/local/bin/nutgraf-serve#$NG_BIN/serve/nutgraf-serve#" "$unit" >"$T/nutgraf-serve.service"
  verify=$(systemd-analyze verify "$T/nutgraf-serve.service" 2>&1 | grep -v "Command 'man nutgraf-serve(1)' failed")
  [ -z "$verify" ] && pass "systemd-analyze verify accepts dist/nutgraf-serve.service" || fail "systemd-analyze verify" "$verify"
  expect_match "$(cat "$unit")" '^DynamicUser=yes$' "the unit runs as a dynamic user"
  expect_match "$(cat "$unit")" '^ProtectSystem=strict$' "in a read-only system"
else
  echo "note: systemd-analyze is not installed: the unit was not verified"
fi

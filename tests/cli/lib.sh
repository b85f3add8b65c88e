# Helpers for the end-to-end cases (sourced by run-case.sh).
#
# A case is a shell script of checks.  Each check prints "ok" or "FAIL" and
# a reason; the case fails when any check failed.  Exit status 77 tells
# ctest the case was skipped (for example when ../shared is absent).
failures=0
checks=0

pass() { checks=$((checks + 1)); printf 'ok   %s\n' "$1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); printf 'FAIL %s\n' "$1"; [ $# -gt 1 ] && printf '     %s\n' "${@:2}"; return 0; }

# skip "why": the whole case is skipped.
skip() { printf 'SKIP %s\n' "$1"; exit 77; }

need_shared() { [ -d "$SHARED/$1" ] || skip "$SHARED/$1 is absent"; }

# run CMD...: runs it, keeping stdout in $out, stderr in $err, status in $status.
run() {
  out=$(mktemp "$T/out.XXXXXX")
  err=$(mktemp "$T/err.XXXXXX")
  "$@" >"$out" 2>"$err"
  status=$?
  OUT=$(cat "$out")
  ERR=$(cat "$err")
}

# expect_status N "what": the last run's status is N.
expect_status() {
  if [ "$status" -eq "$1" ]; then pass "$2 (exit $1)"; else fail "$2: exit $status, wanted $1" "stderr: $(head -c 600 "$err")"; fi
}

# expect_eq GOT WANT "what"
expect_eq() {
  if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:  $(printf '%s' "$1" | head -c 800)" "want: $(printf '%s' "$2" | head -c 800)"; fi
}

# expect_match TEXT REGEX "what" (grep -E, any line)
expect_match() {
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"; else fail "$3" "no line matches /$2/ in: $(printf '%s' "$1" | head -c 600)"; fi
}

expect_no_match() {
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then fail "$3" "a line matches /$2/: $(printf '%s\n' "$1" | grep -E -- "$2" | head -3)"; else pass "$3"; fi
}

# expect_one_line TEXT "what": a message is exactly one line.
expect_one_line() {
  local n
  n=$(printf '%s' "$1" | grep -c '')
  if [ "$n" -eq 1 ]; then pass "$2"; else fail "$2: $n lines" "$(printf '%s' "$1" | head -c 600)"; fi
}

# lines QUERY [OPTIONS...]: "first_line" of each hit, in rank order, space-separated.
lines() {
  nutgraf-query --format json --limit 0 --per-story 0 "$@" | python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["first_line"]) for l in sys.stdin))'
}

# expect_snapshot NAME CMD...: stdout, stderr and status of CMD, with the
# temporary directory written as $T (and the sed expression in
# $SNAPSHOT_FILTER applied, for what changes from run to run, such as a
# time), compared byte for byte with expected/CASE.NAME; UPDATE=1 writes the
# file instead, for a reviewer to read in the diff.
expect_snapshot() {
  local name=$1
  shift
  local file="$NG_SRC/tests/cli/expected/$CASE_NAME.$name"
  local got
  got=$({ "$@" 2>&1; echo "[exit $?]"; } | sed -e "s#$T#\$T#g" ${SNAPSHOT_FILTER:+-e "$SNAPSHOT_FILTER"})
  if [ "${UPDATE:-0}" = 1 ]; then
    mkdir -p "$(dirname "$file")"
    printf '%s\n' "$got" >"$file"
    pass "$name (expectation written)"
  elif [ ! -f "$file" ]; then
    fail "$name: no expected output $file (run with UPDATE=1)"
  elif [ "$got" = "$(cat "$file")" ]; then
    pass "$name"
  else
    fail "$name differs from $file" "$(diff <(cat "$file") <(printf '%s\n' "$got") | head -20)"
  fi
}

finish() {
  if [ "$checks" -eq 0 ]; then
    echo "FAIL the case made no check"
    exit 1
  fi
  echo "$CASE_NAME: $((checks - failures))/$checks checks passed"
  [ "$failures" -eq 0 ]
}

#!/usr/bin/env bash
# Runs one libFuzzer target for a while on a scratch copy of its seeds.
#   tests/fuzz/run.sh TARGET SECONDS      e.g. tests/fuzz/run.sh fuzz_query 300
# TARGET is fuzz_decode_segment, fuzz_tokenizer, fuzz_query or fuzz_feed
# (the "fuzz_" may be left out).  It builds nothing: the binary comes from
# $NG_FUZZ_BUILD (default build-fuzz/, see tests/fuzz/README.md), and when
# it is missing the run is skipped with exit 0.  The corpus grows in a
# scratch directory ($NG_FUZZ_WORK, else a new one under $TMPDIR), never in
# tests/fuzz/corpus.  Crash, leak and timeout inputs go to that directory;
# the exit status is libFuzzer's, non-zero when it found something, and the
# directory is then kept.
# Extra arguments after SECONDS go to libFuzzer (e.g. -jobs=2 -workers=2).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -lt 2 ]; then
  echo "usage: $0 TARGET SECONDS [libFuzzer options...]" >&2
  exit 2
fi
target=fuzz_${1#fuzz_}
seconds=$2
shift 2
case $seconds in '' | *[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 2 ;; esac
build=${NG_FUZZ_BUILD:-$root/build-fuzz}
bin=$build/tests/fuzz/$target
if [ ! -x "$bin" ]; then
  echo "$0: skipping $target: $bin is not built (configure with CC=clang -DNG_FUZZ=ON)"
  exit 0
fi
seeds=$here/corpus/$target
if [ ! -d "$seeds" ]; then
  echo "$0: no seed corpus $seeds" >&2
  exit 2
fi

if [ -n "${NG_FUZZ_WORK:-}" ]; then
  work=$NG_FUZZ_WORK
  keep=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/nutgraf-$target-XXXXXX") || exit 2
  keep=0
fi
mkdir -p "$work/corpus" "$work/artifacts" || exit 2
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null

args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
      -artifact_prefix="$work/artifacts/")
dict=$here/${target#fuzz_}.dict
[ -f "$dict" ] && args+=(-dict="$dict")
log=$work/fuzz.log
echo "$target: fuzzing for ${seconds}s in $work (log: $log)"
"$bin" "${args[@]}" "$@" "$work/corpus" >"$log" 2>&1
rc=$?

# The last status line (#runs cov ft corp exec/s) and the final stats.
grep -aE '^#[0-9]+' "$log" | tail -n 1
grep -aE '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log"
echo "corpus: $(find "$work/corpus" -type f | wc -l) files"
if [ $rc -ne 0 ]; then
  echo "$0: $target failed (libFuzzer exit $rc); inputs and log kept in $work" >&2
  grep -aE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|fuzz invariant broken|Test unit written' \
    "$log" | head -n 20 >&2
  ls -l "$work/artifacts" >&2
  exit $rc
fi
[ $keep -eq 0 ] && rm -rf "$work"
exit 0

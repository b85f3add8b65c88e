#!/usr/bin/env bash
# Replays the saved inputs of the libFuzzer targets: the target binary
# runs each file of tests/fuzz/regressions/<target>/ once (-runs=0) under
# its sanitizers; with --seeds, the files of tests/fuzz/corpus/<target>/ too.
#   tests/fuzz/replay.sh [--seeds] [TARGET...]     default: every target
# Builds nothing; the binaries come from $NG_FUZZ_BUILD (default
# build-fuzz/), and a target that is not built is skipped.  Exits non-zero
# when any input makes a target fail.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${NG_FUZZ_BUILD:-$root/build-fuzz}
dirs=(regressions)
if [ "${1:-}" = --seeds ]; then
  dirs+=(corpus)
  shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_decode_segment fuzz_tokenizer fuzz_query fuzz_feed)

failed=0
for t in "${targets[@]}"; do
  t=fuzz_${t#fuzz_}
  bin=$build/tests/fuzz/$t
  if [ ! -x "$bin" ]; then
    echo "skip  $t: $bin is not built"
    continue
  fi
  files=()
  for sub in "${dirs[@]}"; do
    d=$here/$sub/$t
    [ -d "$d" ] || continue
    while IFS= read -r -d '' f; do files+=("$f"); done \
      < <(find "$d" -type f ! -name 'README*' -print0 | sort -z)
  done
  if [ ${#files[@]} -eq 0 ]; then
    echo "ok    $t: no inputs"
    continue
  fi
  # One process per file: a failure names its input, and one input's
  # state (caches, counters) cannot hide or cause another's failure.
  bad=0
  for f in "${files[@]}"; do
    out=$("$bin" -runs=0 -rss_limit_mb=2048 -timeout=30 "$f" 2>&1)
    if [ $? -ne 0 ]; then
      bad=$((bad + 1))
      echo "FAIL  $t: ${f#"$root"/}"
      # The message, then the stack frames of our code and the libraries'.
      printf '%s\n' "$out" | grep -aE 'ERROR:|runtime error|fuzz invariant broken|SUMMARY' | head -n 5 | sed 's/^/      /'
      printf '%s\n' "$out" | grep -aE '^ +#[0-9]+ ' | grep -avE 'fuzzer::|libc\.so|sanitizer|_start| in (main|abort|raise) |pthread_kill' \
        | head -n 12 | sed 's/^/      /'
    fi
  done
  if [ $bad -eq 0 ]; then
    echo "ok    $t: ${#files[@]} inputs"
  else
    failed=$((failed + bad))
  fi
done
[ $failed -eq 0 ] || { echo "replay: $failed input(s) failed" >&2; exit 1; }
exit 0

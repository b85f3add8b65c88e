# Resource faults: a file size limit reached while writing the index, and a
# low memory limit, give one clear error, exit status 4, and leave an index
# that passes --check with what it held before.
python3 "$NG_SRC/tests/cli/make-corpus.py" corpus "${NG_CORPUS_FILES:-3000}"
nutgraf-index -q -i limited.db fixtures/articles
before=$(nutgraf-index -i limited.db --check | sed 's/.*ok: //; s/, [0-9]* bytes//')

# RLIMIT_FSIZE (ulimit -f, in KiB): the index cannot grow past 400 KiB.
run bash -c 'ulimit -f 400; exec nutgraf-index -i limited.db corpus'
expect_status 4 "indexing into a file size limit exits 4"
expect_match "$ERR" "^nutgraf-index: error: index .*limited.db: .*(cannot write|no room to write)" "with an error naming the index"
expect_one_line "$ERR" "in one line"
run nutgraf-index -i limited.db --check
expect_status 0 "the index passes --check afterwards"
expect_eq "$(printf '%s' "$OUT" | sed 's/.*ok: //; s/, [0-9]* bytes//')" "$before" "and holds what it held before"
run nutgraf-index -i limited.db corpus
expect_status 0 "without the limit the next run completes"

# RLIMIT_AS (ulimit -v, in KiB): address sanitizers reserve terabytes of
# address space, so this part runs in the plain build only.
if [ -n "${NG_SANITIZED:-}" ]; then
  pass "low memory: skipped in the sanitizer build"
else
  hit=0
  for kib in 10000 14000 20000 40000 80000 140000; do
    rm -f mem.db*
    run bash -c "ulimit -v $kib; exec nutgraf-index -i mem.db corpus"
    case $status in
      0) ;;
      4)
        hit=1
        expect_match "$ERR" "out of memory|cannot start a thread|cannot allocate" "at $kib KiB: the error says memory"
        expect_one_line "$ERR" "at $kib KiB: in one line"
        ;;
      *) fail "at $kib KiB: exit $status" "$ERR" ;;
    esac
    if [ -e mem.db ]; then
      run nutgraf-index -i mem.db --check
      expect_status 0 "at $kib KiB: the index passes --check afterwards"
    fi
    run bash -c "ulimit -v $kib; exec nutgraf-query -i limited.db --limit 50 'trade OR vote'"
    if [ "$status" -le 1 ] || [ "$status" -eq 4 ]; then pass "at $kib KiB: a query ends with results or exit 4 ($status)"; else fail "at $kib KiB: query exit $status" "$ERR"; fi
  done
  [ "$hit" = 1 ] && pass "a low memory limit was met with exit status 4" || fail "no memory limit tried made the indexer fail"
fi

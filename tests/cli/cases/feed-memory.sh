# A feed with a 20 MB record, read again under a range of address-space
# limits (ulimit -v): the indexer never crashes and never calls the record
# bad JSON -- it succeeds, or exits 4 with one line saying memory ran out --
# and the stored record is never removed by a failed parse.  --max-size
# holds for standard input too: an oversized record is skipped with a
# warning, without being read into memory whole.
python3 - <<'PY'
import json
body = "\n\n".join(" ".join(["wire"] * 400) for _ in range(10000))  # about 20 MB
with open("feed.jsonl", "w") as f:
    f.write(json.dumps({"id": "big", "title": "Zyzzogeton harvest report", "body": body}) + "\n")
    for i in range(20):
        f.write(json.dumps({"id": "r%d" % i, "title": "Small report %d" % i, "body": "Tariff talks %d." % i}) + "\n")
PY
mkdir in && cp feed.jsonl in/feed.jsonl
run nutgraf-index -i feed.db in
expect_status 0 "the feed with a 20 MB record is indexed without a limit"
run nutgraf-query -i feed.db --count zyzzogeton
expect_eq "$OUT" 1 "the big record is stored"

if [ -n "${NG_SANITIZED:-}" ]; then
  pass "address-space limits: skipped in the sanitizer build (its shadow memory needs terabytes)"
else
  crashes=0 ooms=0 oks=0
  for kib in 30000 40000 50000 60000 70000 80000 90000 100000 120000 150000 200000; do
    # Another record changes, so the feed is read again, big record too.
    sed -i "s/Tariff talks 0\.[^\"]*/Tariff talks 0. Limit $kib./" in/feed.jsonl
    run bash -c "ulimit -v $kib; exec nutgraf-index -i feed.db in"
    case $status in
      0) oks=$((oks + 1)) ;;
      4)
        ooms=$((ooms + 1))
        expect_one_line "$ERR" "at $kib KiB: one line"
        expect_match "$ERR" "out of memory|cannot start a thread" "at $kib KiB: the line says memory ran out"
        ;;
      *)
        crashes=$((crashes + 1))
        fail "at $kib KiB: exit $status" "$(head -c 400 "$err")"
        ;;
    esac
    expect_no_match "$ERR" "not JSON|invalid token" "at $kib KiB: the record is never called bad JSON"
    run nutgraf-query -i feed.db --count zyzzogeton
    expect_eq "$OUT" 1 "at $kib KiB: the stored record is still there"
  done
  [ "$crashes" -eq 0 ] && pass "11 limits: $oks runs succeeded, $ooms ran out of memory with exit 4, none crashed"
  [ "$ooms" -gt 0 ] && pass "some limit was low enough to make the parse fail" || fail "no limit made the indexer run out of memory"
  run nutgraf-index -i feed.db --check
  expect_status 0 "the index passes --check after them"
fi

# Standard input, held to --max-size: the 20 MB line is skipped, the rest
# indexed -- in an address space too small to hold that line twice.
limit=""
[ -z "${NG_SANITIZED:-}" ] && limit="ulimit -v 60000;"
run bash -c "$limit exec nutgraf-index -i stdin.db --max-size 1M --jsonl - <feed.jsonl"
expect_status 0 "stdin with --max-size 1M: exit 0"
expect_match "$ERR" "^nutgraf-index: warning: stdin:1: record larger than 1048576 bytes \(--max-size\), skipped$" "the big record is skipped with a one-line warning"
expect_match "$ERR" "20 new" "the 20 small records are indexed"

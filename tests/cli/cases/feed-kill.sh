# SIGKILL while a changed feed file is read: the feed's size and mtime are
# what tells a later run it is unchanged, so they must not be committed
# before its last record.  A 10,000-record feed flips between two versions
# (a third of the records changed, a seventh dropped, a tenth added); each
# time the indexer is killed at a random moment of the run that reads the
# change, and one more run must leave exactly what a clean build of that
# version holds.  NG_FEED_KILLS sets the number of kills (default 6; the
# issue's figure is 20), NG_FEED_RECORDS the feed's size (default 10000).
kills=${NG_FEED_KILLS:-6}
records=${NG_FEED_RECORDS:-10000}
python3 "$NG_SRC/tests/cli/make-feed.py" version-a.jsonl "$records" 1
python3 "$NG_SRC/tests/cli/make-feed.py" version-b.jsonl "$records" 2
mkdir wire

# dump INDEX: every passage with its document's fields, sorted, hashed.
dump() {
  nutgraf-query -i "$1" --all --limit 0 --format json | python3 -c '
import hashlib, json, sys
rows = sorted(json.dumps([r[k] for k in ("path", "id", "ordinal", "first_line", "last_line", "kind", "title", "date",
                                          "source", "text")]) for r in map(json.loads, sys.stdin))
print(len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])'
}
counts() { nutgraf-index -i "$1" --check | sed 's/.*ok: //; s/, [0-9]* words.*//'; }

for v in a b; do
  cp "version-$v.jsonl" wire/wire.jsonl
  nutgraf-index -q -i "clean-$v.db" wire
  eval "dump_$v=\$(dump clean-$v.db)"
  eval "counts_$v=\$(counts clean-$v.db)"
done
pass "clean builds: version a $counts_a, version b $counts_b"

cp version-a.jsonl wire/wire.jsonl
nutgraf-index -q -i kill.db wire
cp version-b.jsonl wire/wire.jsonl
start=$(date +%s%N)
nutgraf-index -q -i timing.db wire 2>/dev/null # a first build: about as long as reading the change
took=$(( ($(date +%s%N) - start) / 1000000 ))

bad=0 killed=0 v=a
for i in $(seq "$kills"); do
  if [ "$v" = a ]; then v=b; else v=a; fi
  cp "version-$v.jsonl" wire/wire.jsonl
  delay=$(python3 -c "import random; print('%.3f' % random.uniform(0.02, 1.5 * $took / 1000.0))")
  nutgraf-index -q -i kill.db wire 2>/dev/null &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null
  run nutgraf-index -q -i kill.db wire
  want_dump=$(eval echo "\$dump_$v") want_counts=$(eval echo "\$counts_$v")
  got_dump=$(dump kill.db) got_counts=$(counts kill.db)
  if [ "$status" -ne 0 ] || [ "$got_dump" != "$want_dump" ] || [ "$got_counts" != "$want_counts" ]; then
    bad=$((bad + 1))
    fail "kill $i after ${delay}s, then one run: the index differs from a clean build of version $v" \
      "exit $status; got $got_counts ($got_dump), want $want_counts ($want_dump)" "$ERR"
  fi
done
[ "$bad" -eq 0 ] && pass "$kills runs reading a changed $records-record feed killed at random ($killed while running): after one more run the index equals a clean build every time"
run nutgraf-index -i kill.db --check
expect_status 0 "the index passes --check"

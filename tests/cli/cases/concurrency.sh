# Searches during an index run see the last committed state and never fail;
# two indexers at once never corrupt the index: the second waits, or with
# --no-wait leaves at once with status 75.
python3 "$NG_SRC/tests/cli/make-corpus.py" corpus "${NG_CORPUS_FILES:-3000}"
run nutgraf-index -i clean.db corpus
expect_status 0 "a clean build"
clean=$(nutgraf-index -i clean.db --check | sed 's/.*ok: //; s/, [0-9]* bytes//')

# A loop of queries while the index is built from nothing, then rebuilt.
query_loop() {
  local errors=0 runs=0 s
  while [ ! -e stop ]; do
    for q in ceasefire 'sanctions -tariff' '"trade deal"' 'elect*'; do
      nutgraf-query -i busy.db --limit 3 "$q" >/dev/null 2>>query-errors.txt
      s=$?
      runs=$((runs + 1))
      if [ "$s" -ne 0 ] && [ "$s" -ne 1 ]; then errors=$((errors + 1)); fi
    done
  done
  echo "$runs $errors" >query-result.txt
}
nutgraf-index -q -i busy.db corpus/desk00    # the index exists before the loop starts
query_loop &
loop=$!
for pass in 1 2 3; do
  nutgraf-index -q -i busy.db corpus
  nutgraf-index -q --full -i busy.db corpus
done
touch stop
wait $loop
read -r runs errors <query-result.txt
if [ "$runs" -gt 10 ] && [ "$errors" -eq 0 ]; then
  pass "$runs queries during 6 index runs, none failed"
else
  fail "$runs queries, $errors failed" "$(head -5 query-errors.txt)"
fi

# Two indexers at once: the second waits for the first.
rm -f two.db
nutgraf-index -q -i two.db corpus & a=$!
nutgraf-index -q -i two.db corpus & b=$!
wait $a; sa=$?
wait $b; sb=$?
expect_eq "$sa $sb" "0 0" "two indexers started together both succeed"
run nutgraf-index -i two.db --check
expect_status 0 "the index they built passes --check"
expect_eq "$(printf '%s' "$OUT" | sed 's/.*ok: //; s/, [0-9]* bytes//')" "$clean" "and holds what a clean build holds"

# --no-wait while another indexer holds the lock.
nutgraf-index -q --full -i two.db corpus & a=$!
for _ in $(seq 100); do [ -s two.db.lock ] && break; sleep 0.01; done
sleep 0.05
run nutgraf-index --no-wait -i two.db corpus
wait $a
if [ "$status" -eq 75 ]; then
  pass "--no-wait exits 75 while another indexer runs"
  expect_match "$ERR" "^nutgraf-index: error: index .*two.db is being updated by another nutgraf-index \(pid [0-9]+\)$" "with a one-line message naming the index"
elif [ "$status" -eq 0 ]; then
  pass "--no-wait: the other run had already finished (machine too fast to race)"
else
  fail "--no-wait: exit $status" "$ERR"
fi

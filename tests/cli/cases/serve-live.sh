# nutgraf-serve while the index changes under it: it answers 503 until the
# index appears; while nutgraf-index keeps adding to a growing copy of the
# BBC corpus (a synthetic corpus when ../shared is absent), 16 concurrent
# clients get no error and new documents are found without a restart; an
# index rebuilt at INDEX.new and renamed over INDEX is read from then on,
# and so is one that nutgraf-index --full rebuilds in place.
#   NG_SERVE_LOAD=1   20,000 requests (default 2,000)
. "$NG_SRC/tests/serve/lib.sh"
requests=2000
[ "${NG_SERVE_LOAD:-0}" = 1 ] && requests=20000
[ -n "${NG_SANITIZED:-}" ] && [ "${NG_SERVE_LOAD:-0}" != 1 ] && requests=1000

# The corpus to grow: BBC's articles, else synthetic ones; in batches.
mkdir source corpus
if [ -d "$SHARED/corpora/bbc-news/business" ]; then
  for d in business entertainment politics sport tech; do cp -R "$SHARED/corpora/bbc-news/$d" "source/$d"; done
  what="a growing copy of BBC"
else
  python3 "$NG_SRC/tests/cli/make-corpus.py" source 2000
  what="a growing synthetic corpus (../shared is absent)"
fi
find source -type f -name '*.txt' | sort >files.txt
total_files=$(grep -c . files.txt)
batches=8
per=$(((total_files + batches - 1) / batches))
split -l "$per" -d files.txt batch.
add_batch() { # add_batch FILE-LIST [COPY]: copies those files into corpus/COPY
  while read -r f; do
    dest="corpus/${2:-0}/${f#source/}"
    mkdir -p "$(dirname "$dest")"
    cp "$f" "$dest"
  done <"$1"
}

start_server -i "$T/live.db" --timeout 30
http "/search?q=election"
expect_eq "$CODE" 503 "before the index exists: 503"
add_batch batch.00
nutgraf-index -q -i live.db corpus
http "/health"
expect_eq "$CODE" 200 "the first batch is indexed: /health answers"
docs0=$(json_get 'j["documents"]')

# The indexer: a batch at a time while the clients run (half the corpus;
# the long form all of it and three more copies under other folders); the
# clients go on until it is done.
copies=1 last=batch.03 # the short form: half of the corpus
[ "${NG_SERVE_LOAD:-0}" = 1 ] && copies=4 last=batch.99
indexer() {
  local copy b runs=0 bad=0
  for copy in $(seq 0 $((copies - 1))); do
    for b in batch.*; do
      [ "$copy" = 0 ] && [ "$b" = batch.00 ] && continue
      [[ "$b" > "$last" ]] && continue
      add_batch "$b" "$copy"
      if [ "$copy" = 0 ] && [ "$b" = batch.02 ]; then
        printf 'Zorblattic envoys meet\n\nThe zorblattic talks opened on Monday.\n' >corpus/0/marker.txt
      fi
      nutgraf-index -q -i live.db corpus 2>>indexer.err || bad=$((bad + 1))
      runs=$((runs + 1))
    done
  done
  echo "$runs $bad" >indexer.result
  touch indexer.done
}
indexer &
indexer_pid=$!
run python3 "$CLIENT" load "$URL" "$NG_SRC/bench/queries.txt" "$requests" 16 indexer.done
expect_status 0 "16 clients while nutgraf-index adds $what: no error ($(tail -1 "$out" | cut -c1-160))"
[ "$status" -eq 0 ] || head -8 "$out"
wait "$indexer_pid"
read -r runs bad <indexer.result
expect_eq "$bad" 0 "the $runs index runs meanwhile all succeeded"
http "/health"
docs1=$(json_get 'j["documents"]')
if [ "$docs1" -gt "$docs0" ]; then pass "the server sees the new documents ($docs0, then $docs1) without a restart"; else fail "documents $docs0, then $docs1"; fi
http "/count?q=zorblattic"
expect_eq "$(json_get 'j["count"]')" 2 "a document added meanwhile is found"
expect_eq "$(json_get 'j["count"]')" "$(nutgraf-query -i live.db --count zorblattic)" "as nutgraf-query finds it"

# A rebuilt index renamed into place.  Its WAL must be empty first: a WAL
# left by the old file would be read as the new one's (SQLite pairs them by
# name), so --optimize checkpoints and truncates it before the rename.
nutgraf-index -q -i live.db.new fixtures/articles
nutgraf-index -q -i live.db --optimize
mv live.db.new live.db
http "/count?q=zorblattic"
expect_eq "$CODE $(json_get 'j["count"]')" "200 0" "after mv INDEX.new INDEX the server reads the new index"
http "/search?q=ceasefire&limit=20"
expect_eq "$(json_get 'len(j["hits"])')" "$(nutgraf-query -i live.db --limit 20 --format json ceasefire | grep -c .)" "and finds what nutgraf-query finds there"
run python3 "$CLIENT" load "$URL" "$NG_SRC/tests/serve/fixture-queries.txt" 500 4
expect_status 0 "every handle moved to it: 500 more requests, no error"

# nutgraf-index --full: the index rebuilt in place (a new file published
# by rename) while 4 clients keep searching; the server answers from the
# new index from then on, with no error.
mkdir rebuilt
printf 'Quintessal envoys meet\n\nThe quintessal talks opened on Monday.\n' >rebuilt/quintessal.txt
cp -R fixtures/articles rebuilt/articles
http "/count?q=quintessal"
expect_eq "$CODE $(json_get 'j["count"]')" "200 0" "before the --full rebuild: nothing about quintessal"
python3 "$CLIENT" load "$URL" "$NG_SRC/tests/serve/fixture-queries.txt" 300 4 rebuilt.done >rebuild-load.out 2>&1 &
load_pid=$!
run nutgraf-index -q -i live.db --full rebuilt
expect_status 0 "nutgraf-index --full while the server searches"
touch rebuilt.done
wait "$load_pid"
expect_eq "$?" 0 "4 clients during the --full rebuild: no error ($(tail -1 rebuild-load.out | cut -c1-160))"
http "/count?q=quintessal"
expect_eq "$CODE $(json_get 'j["count"]')" "200 2" "after --full the server answers from the new index"
http "/search?q=ceasefire&limit=20"
expect_eq "$(json_get 'len(j["hits"])')" "$(nutgraf-query -i live.db --limit 20 --format json ceasefire | grep -c .)" \
  "and finds what nutgraf-query finds there"
http "/health"
expect_eq "$(json_get 'j["documents"]')" "$(nutgraf-index -i live.db --check | sed -n 's/.*ok: \([0-9]*\) documents.*/\1/p')" \
  "/health counts the rebuilt index's documents"
http "/metrics"
reopens=$(printf '%s\n' "$BODY" | sed -n 's/^nutgraf_serve_index_reopens_total //p')
expect_match "$reopens" '^[1-9][0-9]*$' "handles were reopened ($reopens)"
stop_server
expect_eq "$SERVE_STATUS" 0 "SIGTERM: exit 0"

# nutgraf-serve: the JSON endpoints answer what nutgraf-query answers, bad
# requests get 4xx with nutgraf-query's one-line message, caching, the
# token, CORS, the loopback rule, the log, the signals and the exit codes.
. "$NG_SRC/tests/serve/lib.sh"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
nutgraf-index -q --exclude '*.md' fixtures

# --- the command line ------------------------------------------------------
run nutgraf-serve --help
expect_status 0 "--help"
expect_match "$OUT" "^usage: nutgraf-serve" "--help prints the usage on stdout"
run nutgraf-serve --version
expect_match "$OUT" "^nutgraf-serve: nutgraf [0-9.]+, SQLite" "--version names nutgraf and SQLite"
run nutgraf-serve --bogus
expect_status 2 "an unknown option"
expect_match "$ERR" "^nutgraf-serve: error: unknown option '--bogus'" "is named"
run nutgraf-serve --listen nowhere:port
expect_status 2 "a bad --listen"
run nutgraf-serve --token-file "$T/absent"
expect_status 3 "a token file that cannot be read"
expect_match "$ERR" "^nutgraf-serve: error: cannot read the token file" "is named"
echo "not an index" >bogus.db
run nutgraf-serve -i bogus.db --listen 127.0.0.1:0
expect_status 3 "a file that is not an index"
expect_match "$ERR" "is not a nutgraf index" "says so"
NUTGRAF_SERVE_LISTEN=0.0.0.0:0 run nutgraf-serve
expect_status 2 "a non-loopback address from the environment is refused"
expect_match "$ERR" "not a loopback address; only --listen" "and says only --listen can do that"

# --- searches: the same records as nutgraf-query ---------------------------
start_server
run python3 "$CLIENT" compare "$URL" "$NUTGRAF_INDEX" "$NG_SRC/tests/serve/fixture-queries.txt"
expect_status 0 "/search equals nutgraf-query --format json on the fixtures ($(tail -1 "$out"))"
[ "$status" -eq 0 ] || cat "$out"
run python3 "$CLIENT" compare "$URL" "$NUTGRAF_INDEX" "$NG_SRC/bench/queries.txt"
expect_status 0 "and for bench/queries.txt ($(tail -1 "$out"))"
[ "$status" -eq 0 ] || cat "$out"

http "/search?q=ceasefire&limit=2"
expect_eq "$CODE" 200 "/search answers 200"
expect_eq "$(json_get 'len(j["hits"]), j["total"], j["limit"], j["offset"], j["suggestion"]')" "2 8 2 0 None" \
  "with two hits of 8, limit, offset and no suggestion"
expect_match "$(json_get 'j["interpreted"]')" '^fts5: .*truce' "interpreted says how the query was read"
expect_match "$HEADERS" '^Content-Type: application/json' "as application/json"
expect_match "$HEADERS" '^Cache-Control: no-cache' "which caches must revalidate"
http "/search?q=ceasfire"
expect_eq "$(json_get 'j["total"], j["suggestion"]')" "0 ceasefire" "no hits: the suggestion"
http "/count?q=ceasefire"
expect_eq "$BODY" '{"version":1,"query":"ceasefire","count":8}' "/count"
http "/count?q=ceasefire&variants=no"
expect_eq "$(json_get 'j["count"]')" "$(nutgraf-query --count --no-variants ceasefire)" "variants=no is --no-variants"
http "/count?q=talks&since=2025-04-01&until=2025-04-30"
expect_eq "$(json_get 'j["count"]')" "$(nutgraf-query --count --since 2025-04-01 --until 2025-04-30 talks)" \
  "since and until are nutgraf-query's"
http "/count?q=ceasefire+NATO&any=1"
expect_eq "$(json_get 'j["count"]')" "$(nutgraf-query --count --any ceasefire NATO)" "any=1 is --any"
http "/suggest?q=sanctoins"
expect_eq "$BODY" '{"version":1,"query":"sanctoins","suggestion":"sanctions"}' "/suggest"
# /show is nutgraf-query --show's record; /timeline is --count-by's buckets.
story="$T/fixtures/articles/crlf.txt"
http "/show?story=$story"
expect_eq "$CODE" 200 "/show answers 200"
expect_eq "$(printf '%s' "$BODY" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps({k: v for k, v in j.items()}, sort_keys=True))')" \
  "$(nutgraf-query --format json --show "$story" | python3 -c 'import json,sys; j=json.loads(sys.stdin.readline()); print(json.dumps(j, sort_keys=True))')" \
  "/show is nutgraf-query --show's story record"
http "/show?story=$T/fixtures/articles/no-such.txt"
expect_eq "$CODE" 404 "/show of no story: 404"
http "/show"
expect_eq "$CODE" 400 "/show without a story: 400"
http "/search?q=ceasefire&per-story=0&limit=100&snippet=whole"
expect_eq "$(json_get 'len(j["hits"]) > 1 and all(h["snippet"] == h["text"] and h["highlights"] for h in j["hits"])')" True \
  "/search?snippet=whole: each snippet is its whole passage, its matches highlighted"
http "/search?q=ceasefire&per-story=0&limit=100&snippet=5"
expect_eq "$(json_get 'all(len(h["snippet"].split()) <= 7 for h in j["hits"])')" True "snippet=5: five words and ellipses"

# The page's story view without JavaScript: the whole story (as /show),
# the passages a search of the story finds marked, their matches too.
# story_view: "PASSAGES MATCHING MARKED" of the last BODY, and "ok" when
# its passages' texts, in order, are those of /show (file $T/show.json).
story_view() {
  printf '%s' "$BODY" | python3 -c '
import html, json, re, sys
page = sys.stdin.read()
items = re.findall(r"<li class=\"(passage(?: match)?)\">.*?<p class=\"text\">(.*?)</p></li>", page)
texts = [html.unescape(re.sub("<[^>]*>", "", t)) for _, t in items]
shown = [p["text"] for p in json.load(open(sys.argv[1]))["passages"]]
marked = sum(t.count("<mark>") for c, t in items if c == "passage match")
stray = sum(t.count("<mark>") for c, t in items if c == "passage")
print(len(items), sum(c == "passage match" for c, _ in items), "marked" if marked and not stray else "unmarked",
      "ok" if texts == shown else "texts differ")' "$T/show.json"
}
story="$T/fixtures/articles/summit-geneva.txt"
curl -s "$URL/show?story=$story" >"$T/show.json"
passages=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["passages"]))' "$T/show.json")
matching=$(nutgraf-query --count path:summit-geneva.txt ceasefire)
http "/?q=ceasefire&story=$story"
expect_eq "$CODE $(story_view)" "200 $passages $matching marked ok" \
  "the story view: all $passages passages of the story in order, the $matching that match marked"
expect_match "$BODY" "<p class=\"status\">$passages passages in this story; $matching match the query.</p>" \
  "and says how many there are and how many match"
expect_match "$BODY" '<a rel="up" href="/\?q=ceasefire">' "with a link back to the results"
http "/?q=truce"
feed_story=$(printf '%s' "$BODY" | grep -o 'href="/?q=truce&amp;story=[^"]*wire.jsonl[^"]*"' | head -1 | sed 's/^href="//; s/"$//; s/&amp;/\&/g')
expect_match "$feed_story" 'story=.*wire\.jsonl%2F%2F%23nw-2025-0412-001$' "a feed record's story link names it as stored, FEED//#ID"
curl -s "$URL/show?story=$T/fixtures/feeds/wire.jsonl:nw-2025-0412-001" >"$T/show.json"
http "$feed_story"
expect_eq "$CODE $(story_view)" "200 4 1 marked ok" "which opens the record's whole story, its one matching paragraph marked"
http "/?q=ceasefire&story=$T/fixtures/articles/no-such.txt"
expect_eq "$CODE" 404 "the story view of a story not stored: 404"
expect_match "$BODY" "No story is stored at $T/fixtures/articles/no-such.txt; it may have been removed from the index." "saying so"
http "/timeline?q=ceasefire&by=month"
expect_eq "$CODE" 200 "/timeline answers 200"
expect_eq "$(json_get '" ".join("%s:%d:%d" % (b["key"], b["passages"], b["stories"]) for b in j["buckets"])')" \
  "$(nutgraf-query --format json --count-by month ceasefire | python3 -c 'import json,sys; print(" ".join("%s:%d:%d" % (j["key"], j["passages"], j["stories"]) for j in map(json.loads, sys.stdin)))')" \
  "/timeline is nutgraf-query --count-by's buckets"
http "/timeline?q=ceasefire&by=year"
expect_eq "$CODE" 400 "/timeline with a bad by: 400"
http "/health"
expect_eq "$(json_get 'j["status"], j["documents"], j["passages"], j["schema_version"], j["index"]')" \
  "ok $(nutgraf-index --check | sed -n 's/.*ok: \([0-9]*\) documents, \([0-9]*\) passages.*/\1 \2/p') $(sed -n 's/^#define NG_SCHEMA_VERSION \([0-9]*\)$/\1/p' "$NG_SRC/include/nutgraf.h") $NUTGRAF_INDEX" \
  "/health: the counts of nutgraf-index --check, the schema version, the index"
expect_match "$HEADERS" '^Cache-Control: no-store' "is not cached"
expect_match "$(json_get 'j["last_change"], j["files_modified"]')" \
  '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z 20[0-9][0-9]-[01][0-9]-[0-3][0-9]T' \
  "/health: the last change (an ISO time) and when the files were written"
expect_eq "$(json_get 'j["last_change"] <= j["files_modified"] and j["last_change"] >= "'"$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"'"')" True \
  "/health: the last change is the indexing run's time, not later than the files"
http "/metrics"
expect_match "$BODY" '^nutgraf_serve_requests_total\{endpoint="search",status="200"\} [0-9]+$' "/metrics counts requests"
expect_match "$BODY" '^nutgraf_serve_request_duration_seconds_bucket\{le="\+Inf"\} [0-9]+$' "and has the histogram"
expect_match "$HEADERS" '^Content-Type: text/plain; version=0.0.4' "in Prometheus' text format"

# --- bad requests: 4xx and nutgraf-query's message -------------------------
# error_is PATH STATUS MESSAGE WHAT
error_is() {
  http "$1"
  expect_eq "$CODE $(json_get 'j["error"]' 2>&1)" "$2 $3" "$4"
}
error_is "/search" 400 "no query given" "no q: 400, as nutgraf-query says"
error_is "/search?q=a&limit=x" 400 "limit wants a number from 1 to 100 (see --max-limit), not 'x'" "a bad limit"
error_is "/search?q=a&limit=101" 400 "limit wants a number from 1 to 100 (see --max-limit), not '101'" "a limit past --max-limit"
error_is "/search?q=a&offset=-1" 400 "offset wants a number from 0 to 10000 (see --max-offset), not '-1'" "a bad offset"
error_is "/search?q=a&sort=size" 400 "sort is rank or date, not 'size'" "a bad sort, as nutgraf-query words it"
error_is "/search?q=a&any=maybe" 400 "any is yes or no, not 'maybe'" "a bad flag"
error_is "/search?q=a&colour=red" 400 "unknown parameter 'colour'" "an unknown parameter"
error_is "/search?q=a&snippet=65" 400 "snippet wants a number of words from 1 to 64 or whole, not '65'" "a bad snippet length"
error_is "/search?q=a&q=b" 400 "parameter 'q' given twice" "a repeated parameter"
error_is "/nope" 404 "no such page: /nope" "an unknown path: 404"
run nutgraf-query --since someday ceasefire
error_is "/search?q=ceasefire&since=someday" 400 "${ERR#nutgraf-query: error: }" "a bad date: nutgraf-query's message"
run nutgraf-query -- '!!!'
error_is "/search?q=%21%21%21" 400 "${ERR#nutgraf-query: error: }" "nothing to search for: nutgraf-query's message"
error_is "/search?q=$(python3 -c 'print("a" * 5000)')" 414 "the query is longer than 4096 bytes (see --max-query-length)" \
  "a query past --max-query-length"
http /search -X POST -d q=ceasefire
expect_eq "$CODE" 405 "POST: 405"
expect_match "$HEADERS" '^Allow: GET, HEAD$' "with Allow"
http "/search?q=ceasefire" -I
expect_eq "$CODE" 200 "HEAD answers"

# --- caching ---------------------------------------------------------------
sleep 2.1 # no ETag while the index's files were written less than 2 s ago
http "/search?q=ceasefire"
etag=$(printf '%s\n' "$HEADERS" | sed -n 's/^ETag: //p')
expect_match "$etag" '^"[0-9a-f]{16}"$' "an answer of a settled index has an ETag"
http "/search?q=ceasefire" -H "If-None-Match: $etag"
expect_eq "$CODE:$BODY" "304:" "If-None-Match with it: 304, no body"
http "/search?q=truce" -H "If-None-Match: $etag"
expect_eq "$CODE" 200 "the tag of another answer does not match"
printf '\nA late ceasefire paragraph added by the test.\n' >>fixtures/articles/crlf.txt
nutgraf-index -q --exclude '*.md' fixtures
indexed=$(date +%s%N)
http "/search?q=ceasefire" -H "If-None-Match: $etag"
asked=$(date +%s%N)
expect_eq "$CODE $(json_get 'j["total"]')" "200 9" "after a commit the old tag does not match, and the new passage is found"
# (only while the commit is recent: a machine too busy to ask within a
# second says so rather than fail)
if [ $(((asked - indexed) / 1000000)) -lt 1000 ]; then
  expect_no_match "$HEADERS" '^ETag:' "and no tag is given while the commit is recent"
else
  echo "note: the request came $(((asked - indexed) / 1000000)) ms after the commit; no-tag-while-recent not checked"
fi
sleep 2.1
http "/search?q=ceasefire"
etag2=$(printf '%s\n' "$HEADERS" | sed -n 's/^ETag: //p')
if [ -n "$etag2" ] && [ "$etag2" != "$etag" ]; then pass "later a new tag"; else fail "later a new tag: '$etag2' after '$etag'"; fi
stop_server
expect_eq "$SERVE_STATUS" 0 "SIGTERM: exit 0"
lines=$(grep -c '^20[0-9-]*T[0-9:.]*Z 127\.0\.0\.1 [A-Z]* /' "$SERVE_ERR")
expect_match "$lines" '^[0-9]{3,}$' "one log line per request on stderr ($lines)"
expect_match "$(cat "$SERVE_ERR")" '^20[^ ]* 127\.0\.0\.1 GET /search\?q=ceasefire&limit=2 200 [0-9]+ [0-9.]+ms$' \
  "a log line: time, client, method, target, status, bytes, time taken"

# --- no index yet: 503, then answers once it appears -----------------------
start_server -i "$T/later.db"
http "/search?q=ceasefire"
expect_eq "$CODE $(json_get 'j["error"]')" "503 no index at $T/later.db (create one with nutgraf-index)" \
  "no index: 503 with nutgraf-query's message"
http "/health"
expect_eq "$CODE" 503 "/health: 503"
http "/?q=ceasefire"
expect_eq "$CODE" 503 "the page: 503"
expect_match "$BODY" 'no index at' "saying why"
nutgraf-index -q -i "$T/later.db" fixtures/articles
http "/search?q=ceasefire"
expect_eq "$CODE $(json_get 'len(j["hits"]) > 0')" "200 True" "once the index appears, the same server finds passages"
stop_server

# --- the token -------------------------------------------------------------
printf 's3cret-token\n' >token
chmod 600 token
start_server --token-file token --log "$T/access.log"
http "/search?q=ceasefire"
expect_eq "$CODE $(json_get 'j["error"]')" "401 a token is needed: Authorization: Bearer TOKEN" "no token: 401"
expect_match "$HEADERS" '^WWW-Authenticate: Bearer' "with WWW-Authenticate"
http "/search?q=ceasefire" -H "Authorization: Bearer s3cret-tokex"
expect_eq "$CODE" 401 "a wrong token: 401"
http "/search?q=ceasefire" -H "Authorization: Bearer s3cret-token"
expect_eq "$CODE" 200 "the token: 200"
http "/search?q=ceasefire&access_token=s3cret-token"
expect_eq "$CODE" 200 "the token as access_token: 200"
http "/?q=ceasefire&access_token=s3cret-token"
expect_match "$BODY" 'name="access_token" value="s3cret-token"' "the page keeps it in its form"
mv access.log access.log.1
kill -HUP "$SERVE_PID"
# the server opens the new log as it takes the signal (waited for, not timed)
for _ in $(seq 200); do [ -e access.log ] && break; sleep 0.05; done
http "/health" -H "Authorization: Bearer s3cret-token"
expect_eq "$(grep -c . access.log) $(grep -c . access.log.1)" "1 5" "SIGHUP reopens the log: old lines in the renamed file, new ones in a new"
expect_no_match "$(cat access.log access.log.1 "$SERVE_ERR")" 's3cret' "the token is never logged"
expect_match "$(cat access.log.1)" 'access_token=REDACTED' "access_token is redacted"
http "/show?story=$T/fixtures/articles/crlf.txt&access_token=s3cret-token"
expect_eq "$CODE" 200 "/show takes the token as access_token (the story view's script asks it so)"
http "/?q=ceasefire&story=$T/fixtures/articles/crlf.txt&access_token=s3cret-token"
expect_eq "$CODE" 200 "the story view with the token: 200"
expect_match "$BODY" '<a rel="up" href="/\?q=ceasefire&amp;access_token=s3cret-token">' "and its link back keeps it"
stop_server

# --- CORS ------------------------------------------------------------------
start_server
http "/search?q=ceasefire" -H "Origin: https://desk.example"
expect_no_match "$HEADERS" '^Access-Control' "no CORS header by default"
http "/search?q=ceasefire" -X OPTIONS -H "Origin: https://desk.example"
expect_eq "$CODE" 405 "and no preflight"
stop_server
start_server --allow-origin https://desk.example
http "/search?q=ceasefire" -H "Origin: https://desk.example"
expect_match "$HEADERS" '^Access-Control-Allow-Origin: https://desk.example$' "--allow-origin: the origin is allowed"
http "/search?q=ceasefire" -H "Origin: https://evil.example"
expect_no_match "$HEADERS" '^Access-Control-Allow-Origin' "another origin is not"
http "/search?q=ceasefire" -X OPTIONS -H "Origin: https://desk.example" -H "Access-Control-Request-Method: GET"
expect_eq "$CODE" 204 "a preflight: 204"
expect_match "$HEADERS" '^Access-Control-Allow-Headers: Authorization' "allowing Authorization"
stop_server

# --- an explicit non-loopback --listen is allowed, with a warning ----------
start_server_any() {
  : >"$T/any.err"
  nutgraf-serve --listen 0.0.0.0:0 2>"$T/any.err" &
  any=$!
  SERVERS="$SERVERS $any"
  for _ in $(seq 100); do grep -q listening "$T/any.err" && break; sleep 0.05; done
  kill -TERM "$any"
  wait "$any"
}
start_server_any
expect_match "$(cat "$T/any.err")" "warning: listening on 0.0.0.0:0 without --token-file" "--listen 0.0.0.0: starts, with a warning"
expect_match "$(cat "$T/any.err")" "listening on http://0.0.0.0:[0-9]+/" "and listens"

# --- SIGTERM lets a request in flight finish --------------------------------
start_server
python3 - "$PORT" "$SERVE_PID" >drain.out 2>&1 <<'EOF'
import os, signal, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /count?q=ceasefire HTTP/1.1\r\nHost: x\r\n")  # the request has begun
time.sleep(0.3)
os.kill(int(sys.argv[2]), signal.SIGTERM)
time.sleep(0.3)
s.sendall(b"\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode())
EOF
stop_server
expect_eq "$(cat drain.out) $SERVE_STATUS" "HTTP/1.1 200 OK 0" "SIGTERM during a request: it is answered, then exit 0"

# --- a port in use -----------------------------------------------------------
start_server
run nutgraf-serve --listen "127.0.0.1:$PORT"
expect_status 4 "a port in use: exit 4"
expect_match "$ERR" "^nutgraf-serve: error: cannot listen on 127.0.0.1:$PORT: Address already in use" "saying so"
stop_server

# No query a person can type makes nutgraf-query fail: each of the queries
# in data/hostile-queries.txt, a 100,000-character query and random bytes
# end with results (exit 0), no results (1) or one line and exit 2 -- never
# a crash, a hang, or an SQLite/FTS5 message.
nutgraf-index -q fixtures/articles
count=0 bad=0
try() { # try NAME ARGS...: runs nutgraf-query with a 10 s limit and checks how it ended
  local name=$1
  shift
  timeout 10 nutgraf-query "$@" >q.out 2>q.err
  local s=$?
  count=$((count + 1))
  local why=""
  case $s in
    0 | 1) ;;
    2) [ "$(grep -c '^nutgraf-query:' q.err)" -eq 1 ] || why="exit 2 without exactly one message on stderr" ;;
    124) why="hang (killed after 10 s)" ;;
    *) why="exit $s" ;;
  esac
  # (--explain writes its own lines first; the messages start with the program's name)
  if grep '^nutgraf-query:' q.err | grep -qiE 'sqlite|fts5|syntax error|malformed|no such'; then
    why="${why:+$why; }leaks an SQLite message: $(grep '^nutgraf-query:' q.err | head -1)"
  fi
  if [ -n "$why" ]; then
    bad=$((bad + 1))
    fail "$name: $why" "$(head -c 300 q.err)"
  fi
}
while IFS= read -r line; do
  case $line in '#'*) continue ;; esac
  query=$(printf '%b' "$line")
  for mode in "" --any "--format json" "--explain" "--count" "--files" "--sort date"; do
    # shellcheck disable=SC2086
    try "query '$line' $mode" $mode -- "$query"
  done
done <"$NG_SRC/tests/cli/data/hostile-queries.txt"
try "100,000-character query" -- "$(python3 -c 'print(("ceasefire NATO (\"a\" OR -b) " * 4000)[:100000])')"
try "100,000 characters of one word" -- "$(python3 -c 'print("x" * 100000)')"
for i in $(seq 200); do
  q=$(head -c $((RANDOM % 200 + 1)) /dev/urandom | tr -d '\000')
  try "random bytes #$i" -- "$q"
done
[ "$bad" -eq 0 ] && pass "$count runs of hostile and random queries: all ended with results, no results or one line and exit 2"

# --fts5 passes FTS5 syntax through; a bad one is a clean usage error.
run nutgraf-query --fts5 -- 'NEAR('
expect_status 2 "--fts5 with a bad expression exits 2"
expect_match "$ERR" "^nutgraf-query: error: invalid FTS5 query 'NEAR\(': " "with one line naming the query"
expect_one_line "$ERR" "in one line"
run nutgraf-query --fts5 -- 'ceasefire OR truce'
expect_status 0 "--fts5 with a good expression finds passages"

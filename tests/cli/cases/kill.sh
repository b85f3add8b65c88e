# SIGKILL at random moments of index runs never leaves an index that fails
# --check, and a final run yields what a clean build yields.  NG_KILLS sets
# how many kills (default 20).  Between runs the corpus flips between two
# versions with the same file names, so every run has work to be killed in.
kills=${NG_KILLS:-20}
files=${NG_CORPUS_FILES:-3000}
python3 "$NG_SRC/tests/cli/make-corpus.py" version-a "$files" 1
python3 "$NG_SRC/tests/cli/make-corpus.py" version-b "$files" 2
# The corpus is "corpus", a link to one version: documents keep their paths
# through it, and switching costs nothing (copying 3000 files did, 9 s a run).
use() { ln -sfn "$1" corpus; }

use version-a
start=$(date +%s%N)
nutgraf-index -q -i clean-a.db corpus
took=$(( ($(date +%s%N) - start) / 1000000 ))
clean_a=$(nutgraf-index -i clean-a.db --check | sed 's/.*ok: //; s/, [0-9]* bytes//')
pass "clean build of version a: $clean_a in ${took} ms"

# A run killed before a new index's first commit leaves no index, only its
# temporary file (store.c); searches say there is no index, and the next
# run removes the file and builds the index.
delay=$(python3 -c "print('%.3f' % ($took / 4000.0))") # a quarter of a build
nutgraf-index -q -i new.db corpus 2>/dev/null &
pid=$!
sleep "$delay"
if kill -9 "$pid" 2>/dev/null; then
  wait "$pid" 2>/dev/null
  if [ -e new.db ]; then
    run nutgraf-index -i new.db --check
    expect_status 0 "a first build killed after its first commit left an index that passes --check"
  else
    expect_eq "$(find . -maxdepth 1 -name 'new.db.new-*' | wc -l | tr -d ' ')" 2 \
      "a first build killed before its first commit left no index, only its temporary file and journal"
    run nutgraf-query -i new.db ceasefire
    expect_status 3 "a search then says there is no index"
    expect_match "$ERR" "no index at .*new\.db" "in those words"
  fi
else
  wait "$pid" 2>/dev/null
  pass "the first build had ended before the kill (machine too fast to race)"
fi
run nutgraf-index -q -i new.db corpus
expect_status 0 "the next run builds the index"
expect_eq "$(find . -maxdepth 1 -name 'new.db.new-*' | wc -l | tr -d ' ')" 0 "and leaves no temporary file"

bad=0 killed=0
for i in $(seq "$kills"); do
  if [ $((i % 2)) = 1 ]; then use version-b; else use version-a; fi
  opts=()
  [ $((i % 5)) = 0 ] && opts=(--full)
  # The delay is drawn first: python3's start-up must not add to it.
  delay=$(python3 -c "import random; print('%.3f' % random.uniform(0.01, $took / 1000.0))")
  nutgraf-index -q "${opts[@]}" -i kill.db corpus 2>/dev/null &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null
  if [ -e kill.db ] && ! nutgraf-index -i kill.db --check >check.out 2>&1; then
    bad=$((bad + 1))
    fail "kill $i after ${delay}s left an index that fails --check" "$(cat check.out)"
  fi
done
[ "$bad" -eq 0 ] && pass "$kills runs killed with SIGKILL at random moments ($killed while running): every index passed --check"
use version-a
run nutgraf-index -i kill.db corpus
expect_status 0 "a final run after the kills"
run nutgraf-index -i kill.db --check
expect_eq "$(printf '%s' "$OUT" | sed 's/.*ok: //; s/, [0-9]* bytes//')" "$clean_a" "the final index holds exactly what a clean build holds"
run nutgraf-query -i kill.db --count ceasefire
expect_eq "$OUT" "$(nutgraf-query -i clean-a.db --count ceasefire)" "and answers a query as the clean build does"

# Watchlists (issue 13, item 4): three topics run again and again, as cron
# would.  After 5 articles are added (2 about topic A, 1 about B), the next
# run prints exactly those passages under A and B and nothing for C; the
# run after prints nothing; a run killed with SIGKILL after printing part
# of its output prints it all again next time; nutgraf-index --full and
# --optimize in between change nothing of this; an article only touched
# is not new, one edited is.
export XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state"
mkdir -p config/nutgraf new
cat >config/nutgraf/watch <<'W'
# three topics
A = quokka
B = narwhal OR "narwhal tusk"
C = axolotl
W
nutgraf-index -q --exclude '*.md' fixtures

# article NAME WORD: a headline without WORD, one paragraph with it (line 3).
article() { printf 'Zoo report %s\n\nKeepers said the %s was seen again on %s.\n' "$1" "$2" "$1" >"new/$1.txt"; }
# new_passages [OPTIONS]: "topic path first_line" of each record of a JSON run, sorted.
new_passages() {
  nutgraf-query --watch --format json "$@" >watch.out
  echo $? >watch.status
  python3 -c '
import json, sys
for r in sorted(map(json.loads, open("watch.out")), key=lambda r: (r["topic"], r["path"])):
    print(r["topic"], r["path"].split("/new/")[-1], r["first_line"])'
}

run nutgraf-query --watch
expect_status 1 "the first run only marks where the topics start"
expect_eq "$OUT" "" "and prints nothing"
state=$(ls state/nutgraf/watch-*.state 2>/dev/null)
expect_match "$state" "state/nutgraf/watch-[0-9a-f]{16}[.]state$" "the marks are kept in \$XDG_STATE_HOME/nutgraf"

article a1 quokka
article a2 quokka
article b1 narwhal
article n1 otter
article n2 heron
nutgraf-index -q new
nutgraf-index -q --full --exclude '*.md' fixtures new
nutgraf-index -q --optimize
cp -R state state-copy # a second copy of the marks, for the text run below
expect_eq "$(new_passages)" "A a1.txt 3
A a2.txt 3
B b1.txt 3" "after 5 articles (and --full, --optimize): exactly A's 2 and B's 1 passages, nothing for C"
expect_eq "$(cat watch.status)" 0 "exit 0: something new"
run env XDG_STATE_HOME="$T/state-copy" nutgraf-query --watch --color never
expect_match "$OUT" "^== A: quokka$" "text: a heading per topic"
expect_eq "$(grep -c '^== ' "$out")" 2 "text: headings for A and B only"
expect_no_match "$OUT" "^== C" "text: nothing for C"
expect_eq "$(grep -Ec '^[0-9]+[.] new/' "$out")" 3 "text: the 3 passages"

expect_eq "$(new_passages)" "" "the next run prints nothing"
expect_eq "$(cat watch.status)" 1 "exit 1: nothing new"
nutgraf-index -q --full --exclude '*.md' fixtures new
nutgraf-index -q --optimize
expect_eq "$(new_passages)" "" "nor after --full and --optimize"

# A run killed after printing A's passages and before writing its marks.
article a3 quokka
article b2 narwhal
nutgraf-index -q new
NUTGRAF_TEST_WATCH_STOP=1 nutgraf-query --watch --format json >killed.out &
pid=$!
stopped=
for _ in $(seq 1 600); do
  if [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ]; then
    stopped=1
    break
  fi
  sleep 0.1
done
expect_eq "$stopped" 1 "the run stops once its first topic is out (NUTGRAF_TEST_WATCH_STOP=1)"
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
expect_eq "$(python3 -c '
import json
print(" ".join(r["topic"] + ":" + r["path"].split("/new/")[-1] for r in map(json.loads, open("killed.out"))))')" \
  "A:a3.txt" "the killed run had printed part of its output (A, not B)"
nutgraf-index -q --full --exclude '*.md' fixtures new
nutgraf-index -q --optimize
expect_eq "$(new_passages)" "A a3.txt 3
B b2.txt 3" "the next run prints it all again, after --full and --optimize too"
expect_eq "$(new_passages)" "" "and then nothing"

# Only touched: not new.  Edited: new again.
touch new/a1.txt
nutgraf-index -q new
expect_eq "$(new_passages)" "" "an article only touched is not new"
printf 'Keepers said the quokka was weighed on Friday.\n\n' >>new/a1.txt
nutgraf-index -q new
expect_eq "$(new_passages | cut -d" " -f1,2)" "A a1.txt" "an article edited is new again"

# Cron-like loop: each round adds one article per topic; each run prints
# exactly that round's.
bad=0
for round in 1 2 3; do
  article "ra$round" quokka
  article "rb$round" narwhal
  article "rc$round" axolotl
  case $round in
    1) nutgraf-index -q new ;;
    2) nutgraf-index -q --full --exclude '*.md' fixtures new ;;
    3) nutgraf-index -q new && nutgraf-index -q --optimize ;;
  esac
  got=$(new_passages)
  [ "$got" = "A ra$round.txt 3
B rb$round.txt 3
C rc$round.txt 3" ] || { bad=$((bad + 1)); echo "round $round: $got"; }
  [ -z "$(new_passages)" ] || bad=$((bad + 1))
done
expect_eq "$bad" 0 "3 rounds of add, index (plain, --full, --optimize), watch: each run prints that round's passages, once"

# A new topic starts from now; a bad watchlist is a usage error.
printf 'D = quokka\n' >>config/nutgraf/watch
expect_eq "$(new_passages)" "" "a topic added to the list starts from now"
run nutgraf-query --watch "$T/missing-list"
expect_status 2 "a missing watchlist"
printf 'no equals sign here\n' >bad-list
run nutgraf-query --watch bad-list
expect_status 2 "a line that is not 'name = query'"
expect_match "$ERR" "bad-list:1: a topic is 'name = query'" "names the file and line"
run nutgraf-query --watch ceasefire sanctions
expect_status 2 "--watch takes no query"

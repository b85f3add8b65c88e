# Every JSON record nutgraf-query writes validates against the schema it is
# documented by (docs/json-schema.json, nutgraf-query(1)): hits (files and
# feed records, with --context, under a --watch topic), --files, --show of
# a file and of a feed record, --summary with and without hits, --count
# -f json, --count-by of each bucket.  A record broken on purpose must fail
# the validator, so the check cannot pass by accepting anything.
export XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state"
schema=$NG_SRC/docs/json-schema.json
validate() { python3 "$NG_SRC/tests/cli/validate-json.py" "$schema" "$@"; }

nutgraf-index -q --exclude '*.md' fixtures
mkdir -p records
nutgraf-query --format json --limit 0 --per-story 0 ceasefire >records/hits.jsonl
nutgraf-query --format json --limit 0 truce >records/feed-hits.jsonl
nutgraf-query --format json --context 2 --limit 5 truce >records/context.jsonl
nutgraf-query --format json --files truce >records/files.jsonl
nutgraf-query --format json --all --limit 0 >records/all.jsonl
nutgraf-query --format json --show fixtures/articles/summit-geneva.txt >records/show-file.jsonl
id=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["id"]:
        print(r["id"]); break' records/feed-hits.jsonl)
expect_match "$id" . "a feed record's hit gives its id apart"
nutgraf-query --format json --show "fixtures/feeds/wire.jsonl:$id" >records/show-feed.jsonl
nutgraf-query --format json --summary ceasefire >records/summary.jsonl
nutgraf-query --format json --summary ceasfire >records/summary-miss.jsonl
nutgraf-query --format json --files --summary truce >records/summary-files.jsonl
nutgraf-query --format json --count truce >records/count.jsonl
for by in day week month source; do nutgraf-query --format json --count-by $by talks >records/by-$by.jsonl; done
mkdir -p config/nutgraf
printf 'peace = truce\nsummit = geneva\n' >config/nutgraf/watch
nutgraf-query --watch --format json >records/watch-first.jsonl # a first run marks, prints nothing
cp fixtures/articles/summit-geneva.txt fixtures/articles/summit-copy.txt
printf '\nA second truce was agreed in Geneva.\n' >>fixtures/articles/summit-copy.txt
nutgraf-index -q --exclude '*.md' fixtures
nutgraf-query --watch --format json --context 1 >records/watch.jsonl

run validate records/*.jsonl
expect_status 0 "every record validates against docs/json-schema.json"
expect_match "$OUT" "hit: [0-9]+" "hit records were checked"
for type in file story summary bucket; do
  expect_match "$OUT" "$type: [0-9]+" "$type records were checked"
done
expect_match "$(cat records/watch.jsonl)" '"topic":"peace"' "watch records carry their topic"
expect_match "$(cat records/context.jsonl)" '"context_before":\[' "--context records carry the context"
expect_match "$(cat records/summary-miss.jsonl)" '"type":"summary".*"total":0.*"suggestion":"ceasefire"' \
  "the summary of a miss gives the total and the suggestion"
expect_match "$(tail -n 1 records/summary.jsonl)" '"type":"summary","query":"ceasefire","total":[1-9]' \
  "the summary comes last"
expect_match "$(cat records/show-feed.jsonl)" "\"type\":\"story\",\"path\":\"$T/fixtures/feeds/wire.jsonl\",\"feed\":\"$T/fixtures/feeds/wire.jsonl\",\"id\":\"$id\"" \
  "a feed record's story gives path, feed and id apart"

# The validator itself: a record with a member of the wrong type, or one
# the schema does not know, fails.
head -n 1 records/hits.jsonl | sed 's/"rank":1/"rank":"1"/' >broken.jsonl
run validate broken.jsonl
expect_status 1 "a record with a wrong type fails"
head -n 1 records/files.jsonl | sed 's/"type":"file",/"type":"file","extra":1,/' >broken.jsonl
run validate broken.jsonl
expect_status 1 "a record with an unknown member fails"

# --summary's numbers are --count's; text gives the same on stdout.
count=$(nutgraf-query --count ceasefire)
expect_match "$(nutgraf-query --format json --summary ceasefire | tail -n 1)" "\"total\":$count,\"stories\":[1-9][0-9]*,\"shown\":[1-9][0-9]*,\"interpreted\":\"query: ceasefire.*fts5: " \
  "the summary's total is --count's, with the interpretation"
run nutgraf-query --summary --color never ceasfire
expect_status 1 "text --summary of a miss"
expect_match "$OUT" "^total: 0 passages in 0 stories$" "text: the total on stdout"
expect_match "$OUT" "^did you mean: ceasefire$" "text: the suggestion on stdout"
expect_match "$OUT" "^interpreted: fts5: " "text: the interpretation on stdout"
expect_match "$(head -n 1 records/files.jsonl)" '"type":"file".*"title":"[^"]+","date":.*"score":[0-9.]+,"passage":\{"ordinal":[0-9]+' \
  "--files records carry title, date, score and the best passage"

# Whole stories and context (issue 13): --show prints exactly a story's
# passages, in order, with their lines -- of a file and of a feed record
# (FEED:ID and FEED//#ID) -- in text, grep and JSON; --context 1 adds the
# passages before and after each hit, fewer at a story's ends.  What is
# expected comes from --all, which lists every passage of the index.
nutgraf-index -q --exclude '*.md' fixtures
nutgraf-query --all --limit 0 --format json >all.jsonl

# expected KEY FORMAT: a story's passages from --all, as --show should print them.
expected() {
  python3 - "$1" "$2" <<'PY'
import json, sys
key, fmt = sys.argv[1], sys.argv[2]
rows = [r for r in map(json.loads, open("all.jsonl")) if (r["path"] + ("//#" + r["id"] if r["id"] else "")).endswith(key)]
rows.sort(key=lambda r: r["ordinal"])
if fmt == "json":
    print(json.dumps([[r["ordinal"], r["kind"], r["first_line"], r["last_line"], r["text"]] for r in rows]))
else:
    for r in rows:
        lines = "%d-%d" % (r["first_line"], r["last_line"]) if r["last_line"] != r["first_line"] else "%d" % r["first_line"]
        print("%7s  %s" % (lines, r["text"]))
PY
}
# passages_of FILE: the "passages" of a --show JSON record, as expected() prints them.
passages_of() {
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps([[p["ordinal"], p["kind"], p["first_line"], p["last_line"], p["text"]] for p in r["passages"]]))' "$1"
}

story=fixtures/articles/summit-geneva.txt
run nutgraf-query --show $story
expect_status 0 "--show of a file"
expect_eq "$(sed -n '1p' "$out")" "$story" "the story's path first"
expect_match "$OUT" "^Headline: Geneva talks close" "then its headline"
expect_match "$OUT" "^Dateline: Geneva, Switzerland$" "and its dateline"
expect_eq "$(sed '1,/^$/d' "$out")" "$(expected articles/summit-geneva.txt text)" \
  "text: every passage in order with its lines, exactly (16 passages)"
run nutgraf-query --show "$T/$story" --format json
expect_eq "$(passages_of "$out")" "$(expected articles/summit-geneva.txt json)" "JSON: the same passages, in order"
expect_match "$OUT" '^\{"version":2,"type":"story","path":"'"$T/$story"'","feed":null,"id":null,' "JSON: a story record"
run nutgraf-query --show $story --format grep
expect_eq "$OUT" "$(python3 -c '
import json
rows = sorted((r for r in map(json.loads, open("all.jsonl")) if r["path"].endswith("summit-geneva.txt")), key=lambda r: r["ordinal"])
for r in rows: print("fixtures/articles/summit-geneva.txt:%d:%s" % (r["first_line"], r["text"]))')" "grep: path:line:passage for each passage"

# A feed record, named as FEED:ID and as stored.
id=$(python3 -c '
import json
for r in map(json.loads, open("all.jsonl")):
    if r["id"]: print(r["id"]); break')
expect_match "$id" . "the feed's records have ids"
run nutgraf-query --show "fixtures/feeds/wire.jsonl:$id" --format json
expect_status 0 "--show FEED:ID"
expect_eq "$(passages_of "$out")" "$(expected "wire.jsonl//#$id" json)" "a feed record's passages, exactly"
expect_match "$OUT" "\"path\":\"$T/fixtures/feeds/wire.jsonl\",\"feed\":\"$T/fixtures/feeds/wire.jsonl\",\"id\":\"$id\"" \
  "path, feed and id apart"
run nutgraf-query --show "$T/fixtures/feeds/wire.jsonl//#$id"
expect_eq "$(sed '1,/^$/d' "$out")" "$(expected "wire.jsonl//#$id" text)" "--show FEED//#ID, in text"
run nutgraf-query --show fixtures/feeds/wire.jsonl
expect_status 2 "--show of a feed file (its records are the stories)"
run nutgraf-query --show fixtures/articles/nothing-here.txt
expect_status 1 "--show of a path the index does not hold"
expect_match "$ERR" "no story is stored at 'fixtures/articles/nothing-here.txt'" "says so"
run nutgraf-query --show $story ceasefire
expect_status 2 "--show takes no query"

# --context 1: the neighbours of every hit, as --all has them.
nutgraf-query --format json --context 1 --limit 0 --per-story 0 ceasefire >ctx.jsonl
run python3 - <<'PY'
import json
docs = {}
for r in map(json.loads, open("all.jsonl")):
    docs.setdefault(r["doc_id"], {})[r["ordinal"]] = [r["ordinal"], r["kind"], r["first_line"], r["last_line"], r["text"]]
bad, n, ends = [], 0, 0
for h in map(json.loads, open("ctx.jsonl")):
    n += 1
    d = docs[h["doc_id"]]
    ords = sorted(d)
    i = ords.index(h["ordinal"])
    want_before = [d[o] for o in ords[max(0, i - 1):i]]
    want_after = [d[o] for o in ords[i + 1:i + 2]]
    got_before = [[p["ordinal"], p["kind"], p["first_line"], p["last_line"], p["text"]] for p in h["context_before"]]
    got_after = [[p["ordinal"], p["kind"], p["first_line"], p["last_line"], p["text"]] for p in h["context_after"]]
    if got_before != want_before or got_after != want_after:
        bad.append("%s ordinal %d" % (h["path"], h["ordinal"]))
    ends += not want_before or not want_after
print(n, "hits;", ends, "at a story's end;", "; ".join(bad[:5]) or "every context as --all has it")
PY
expect_match "$OUT" "^[1-9][0-9]* hits; [1-9][0-9]* at a story's end; every context as --all has it$" \
  "JSON --context 1: the passage before and after each hit, fewer at the ends"

run nutgraf-query --context 1 --limit 1 --color never ceasefire
# the top hit is summit-geneva.txt's paragraph at lines 15-18 (golden.query-text)
expect_eq "$(sed -n '3p;4p;5p' "$out" | awk '{print $1, $2, $3}')" "11- “Nobody is
15: According to
19- Ukraine’s team," "text: LINE- before, LINE: the hit, LINE- after"
run nutgraf-query --context 1 --limit 2 --format grep ceasefire
expect_eq "$(sed -E 's/^(.*[.]txt[-:][0-9]+[-:]).*/\1/' "$out")" "fixtures/articles/summit-geneva.txt-11-
fixtures/articles/summit-geneva.txt:15:
fixtures/articles/summit-geneva.txt-19-
--
fixtures/articles/crlf.txt-3-
fixtures/articles/crlf.txt:5:
fixtures/articles/crlf.txt-7-" "grep: as grep -C prints it, -- between hits"
run nutgraf-query --context x ceasefire
expect_status 2 "--context wants a number"

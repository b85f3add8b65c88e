# nutgraf-query's outputs and exit statuses on fixtures/: text, grep, JSON
# (parsed line by line, every documented field), --count, --files, no hits
# with "did you mean", the query language's main forms.
nutgraf-index -q fixtures/articles fixtures/feeds

run nutgraf-query --format json --limit 0 ceasefire
expect_status 0 "JSON: ceasefire has hits"
python3 - "$out" >json.txt <<'PY'
import json, sys
fields = {"version": int, "rank": int, "path": str, "title": str, "dateline": (str, type(None)),
          "date": (str, type(None)), "source": (str, type(None)), "url": (str, type(None)),
          "author": (str, type(None)), "kind": str, "ordinal": int, "first_line": int,
          "last_line": int, "score": float, "text": str, "snippet": str, "highlights": list}
problems, n = [], 0
for line in open(sys.argv[1], encoding="utf-8"):
    n += 1
    rec = json.loads(line)
    for name, kind in fields.items():
        if name not in rec or not isinstance(rec[name], kind):
            problems.append("record %d: %s missing or of the wrong type" % (n, name))
    if rec.get("version") != 2 or rec.get("type") != "hit" or rec.get("rank") != n or rec.get("kind") not in ("headline", "paragraph"):
        problems.append("record %d: version, rank or kind wrong" % n)
    if rec.get("first_line", 0) > rec.get("last_line", 0):
        problems.append("record %d: first_line > last_line" % n)
    for a, b in rec.get("highlights", []):
        if not (0 <= a < b <= len(rec["snippet"])) or "ceasefire" not in rec["snippet"][a:b].lower() and "truce" not in rec["snippet"][a:b].lower() and "cease" not in rec["snippet"][a:b].lower() and "armistice" not in rec["snippet"][a:b].lower():
            problems.append("record %d: highlight %r" % (n, rec["snippet"][a:b]))
print(n, "records;", "; ".join(problems[:5]) or "all fields as documented")
PY
expect_match "$(cat json.txt)" "^[0-9]+ records; all fields as documented$" "JSON Lines parse line by line with every documented field"

run nutgraf-query --format grep --per-story 0 ceasefire
expect_match "$OUT" "^fixtures/articles/summit-geneva.txt:1:Geneva talks close without a ceasefire" "grep format: path:line:passage, relative to the working directory"
run nutgraf-query --color never ceasefire
expect_match "$OUT" "^1\. fixtures/articles/summit-geneva.txt:[0-9]+(-[0-9]+)?  (headline|paragraph [0-9]+)  score [0-9.]+  \+3 more in this story$" "text format: rank, path:lines, kind, score, the story's other matching passages"
expect_match "$OUT" "\[ceasefire\]" "text format marks matches with brackets when not on a terminal"
run nutgraf-query --color always ceasefire
expect_match "$OUT" $'\033\\[1;31mceasefire' "--color always highlights in colour"

run nutgraf-query --count ceasefire
expect_eq "$OUT" "$(nutgraf-query --format json --limit 0 --per-story 0 ceasefire | wc -l | tr -d ' ')" "--count equals the number of matching passages"
run nutgraf-query --files truce
expect_eq "$(printf '%s\n' "$OUT" | sort | uniq -d)" "" "--files lists each file once"
expect_match "$OUT" "wire-indented.txt" "--files lists the files with hits"

run nutgraf-query ceasfire
expect_status 1 "no hits: exit 1"
expect_match "$ERR" "^nutgraf-query: did you mean: ceasefire$" "with a did-you-mean from the index's words"
run nutgraf-query zzzzqqqq
expect_status 1 "no hits and nothing close: exit 1"
expect_no_match "$ERR" "did you mean" "and no suggestion"

sorted() { lines "$@" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "$(sorted 'sanctions' -- )" "13 34" "sanctions (two files)"
expect_eq "$(sorted -- 'sanctions -gas')" "34" "sanctions -gas drops the markets paragraph"
expect_eq "$(sorted -- 'sanctions NOT gas')" "34" "NOT gas does the same"
expect_eq "$(sorted 'title:geneva NATO')" "1 26 30 42" "title: restricts to articles whose headline matches (30 spells NATO out)"
expect_eq "$(sorted 'path:*/summit-* sanctions')" "34" "path: globs"
expect_eq "$(sorted --no-variants '"cease-fire"')" "1 3 5 15 46" "a quoted hyphenated word finds cease-fire and ceasefire"
expect_eq "$(sorted 'Kiev')" "3 5 19" "Kiev finds Kyiv (variants), in two files and the feed"
expect_eq "$(sorted --no-variants 'Kiev')" "3" "--no-variants finds Kiev alone"
expect_eq "$(sorted --no-variants 'truce OR sanctions')" "1 2 3 13 34" "OR"
expect_eq "$(sorted 'Zelenskyy NEAR/30 negotiating')" "" "NEAR/30 too far apart: nothing"
run nutgraf-query --explain 'Zelensky -oil "cease fire"'
expect_match "$ERR" "variants: Zelenskyy" "--explain names the variants added"
expect_match "$ERR" "excluded word \"oil\"" "--explain names the excluded words"
expect_match "$ERR" "^fts5: " "--explain shows the FTS5 expression"

run nutgraf-query --since 2025-03-01 --until 2025-03-31 election
expect_match "$OUT" "header-block.txt" "--since/--until keep articles dated in range"
run nutgraf-query --since 2026-01-01 election
expect_status 1 "--since after every date: no hits"
run nutgraf-query --since 'last Tuesday' election
expect_status 2 "a date it cannot read: exit 2"
expect_one_line "$ERR" "with one line"
run nutgraf-query -i "$T/nothing.db" ceasefire
expect_status 3 "a missing index: exit 3"
expect_match "$ERR" "^nutgraf-query: error: no index at .*nothing.db" "named in the message"
printf 'not a database' >junk.db
run nutgraf-query -i junk.db ceasefire
expect_status 3 "a file that is not an index: exit 3"
expect_one_line "$ERR" "in one line"
python3 -c "import sqlite3; c = sqlite3.connect('$T/index.db'); c.execute('PRAGMA user_version = 99'); c.commit()"
run nutgraf-query ceasefire
expect_status 3 "an index of another schema version: exit 3"
expect_match "$ERR" "schema version 99" "with a message naming the version"
run nutgraf-index fixtures/articles
expect_status 3 "the indexer refuses it too"

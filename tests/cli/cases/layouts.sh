# Every layout, encoding and feed in fixtures/ is segmented as
# fixtures/README.md says.
run nutgraf-index fixtures/articles fixtures/feeds
expect_status 0 "index fixtures/articles and fixtures/feeds (a binary file is only a warning)"
expect_match "$ERR" "warning: .*binary\.dat: binary file" "the binary file is named in a warning"
expect_one_line "$(printf '%s\n' "$ERR" | grep binary)" "the warning is one line"
expect_match "$ERR" "^nutgraf-index: 13 new, 0 changed, 0 removed, 0 unchanged, 1 skipped" "summary: 9 files (one empty) and 4 feed records new, 1 skipped"

run nutgraf-query --all --limit 0 --format json
layout=$(python3 -c '
import json, sys, collections
docs = collections.OrderedDict()
for l in open(sys.argv[1]):
    r = json.loads(l)
    name = (r["path"] + ("//#" + r["id"] if r["id"] else "")).split("/fixtures/")[-1]
    docs.setdefault(name, []).append(r)
for name, rows in docs.items():
    parts = ["%s%d-%d" % ("h" if r["kind"] == "headline" else "", r["first_line"], r["last_line"]) for r in rows]
    print(name, " ".join(parts), "|", rows[0]["dateline"], rows[0]["date"], rows[0]["source"])
' "$out")
want() { expect_eq "$(printf '%s\n' "$layout" | grep "^$1 ")" "$1 $2" "$1"; }
want articles/summit-geneva.txt "h1-2 3-6 7-10 11-14 15-18 19-21 22-25 26-29 30-33 34-37 38-41 42-45 46-49 50-53 54-57 58-60 | Geneva, Switzerland None None"
want articles/markets-blank-lines.txt "h1-1 3-3 5-5 7-7 9-9 11-11 13-13 15-15 | None None None"
want articles/wire-indented.txt "h1-1 2-5 6-9 10-13 14-17 18-20 | None None None"
want articles/one-per-line.txt "h1-1 2-2 3-3 4-4 5-5 6-6 | None None None"
want articles/header-block.txt "h1-1 7-7 9-9 11-11 13-13 | None 2025-03-14 Nutgraf Wire"
want articles/latin1-cp1252.txt "h1-1 3-3 5-5 7-7 | None None None"
want articles/utf16-bom.txt "h1-1 3-3 5-5 7-7 | None None None"
want articles/crlf.txt "h1-1 3-3 5-5 7-7 | None None None"
expect_no_match "$layout" "empty.txt|binary.dat" "the empty and the binary file have no passages"
expect_eq "$(printf '%s\n' "$layout" | grep -c '^feeds/wire.jsonl//#')" 4 "the feed gives 4 records"

# Encodings: the words are stored as UTF-8.
run nutgraf-query --format grep 'François Lefèvre'
expect_match "$OUT" "latin1-cp1252.txt:5:" "cp1252 text is found by its accented words"
run nutgraf-query --format grep '€2bn'
expect_match "$OUT" "€2bn" "the euro sign of cp1252 is stored as UTF-8"
run nutgraf-query --format grep Zurich
expect_match "$OUT" "utf16-bom.txt:1:.*Zürich" "UTF-16 text is found, diacritics folded"
run nutgraf-query --format grep ceasefire
expect_match "$OUT" "crlf.txt:5:" "CRLF line ends count as one line"
expect_no_match "$(od -c "$out")" '\\r' "no carriage return reaches the output"
run nutgraf-query --format json truce
expect_match "$OUT" '"path":"[^"]*/feeds/wire.jsonl","feed":"[^"]*/feeds/wire.jsonl","id":"nw-' "feed records are found, with feed and id apart"

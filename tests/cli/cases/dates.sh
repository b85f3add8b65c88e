# Dates: header and feed dates in the forms desks write, stored as UTC ISO
# 8601; an unreadable date is one warning naming the file, and the article
# is indexed; query dates (YYYY, YYYY-MM, today, yesterday, Nd, Nw) and an
# inverted range (exit 2).
mkdir -p dated
art() { printf 'Date: %s\nSource: Test Desk\n\nHarbour story %s\n\nThe harbour board met on %s.\n' "$1" "$2" "$2" >"dated/$2.txt"; }
art 'Dec. 1, 2025' abbreviated
art 'December 1, 2025 2:05 PM' spelled
art '2025-12-01 14:05 EST' iso-zone
art '01/12/2025' numeric
art 'Mon, 01 Dec 2025 14:05:00 +0000' rfc2822
art 'when the tide turns' unreadable
today=$(date +%Y-%m-%d)
art "$today" today
printf '{"id":"f1","title":"Harbour feed","body":"The harbour feed story.","date":"Dec. 2, 2025"}\n{"id":"f2","title":"Harbour feed two","body":"The harbour feed two story.","date":"soon"}\n' >dated/feed.jsonl

run nutgraf-index dated
expect_status 0 "an unreadable date is a warning, not an error"
expect_eq "$(printf '%s\n' "$ERR" | grep -c warning)" "2" "one warning line per unreadable date"
expect_match "$ERR" "^nutgraf-index: warning: .*/dated/unreadable.txt: cannot read the date 'when the tide turns'; indexed without a date$" "naming the file and the date"
expect_match "$ERR" "^nutgraf-index: warning: .*feed.jsonl//#f2: cannot read the date 'soon'" "and the feed record"

run nutgraf-query --all --limit 0 --format json
got=$(python3 -c '
import json, sys, os
rows = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    rows.setdefault((r["path"] + ("//#" + r["id"] if r.get("id") else "")).split("/dated/")[-1], r["date"])
for k in sorted(rows): print(k, rows[k])' "$out")
expect_eq "$got" "abbreviated.txt 2025-12-01
feed.jsonl//#f1 2025-12-02
feed.jsonl//#f2 None
iso-zone.txt 2025-12-01T19:05:00Z
numeric.txt 2025-12-01
rfc2822.txt 2025-12-01T14:05:00Z
spelled.txt 2025-12-01T14:05:00
today.txt $today
unreadable.txt None" "every form stored as ISO 8601, UTC where a zone was given; the unreadable ones indexed undated"

files() { nutgraf-query --files --no-collapse "$@" | sed 's#^\(.*/\)\{0,1\}dated/##' | sort | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "$(files harbour --since 2025 --until 2025)" "abbreviated.txt feed.jsonl//#f1 iso-zone.txt numeric.txt rfc2822.txt spelled.txt" "--since 2025 --until 2025: the year"
expect_eq "$(files harbour --since 2025-12 --until 2025-12-01)" "abbreviated.txt iso-zone.txt numeric.txt rfc2822.txt spelled.txt" "YYYY-MM and a day"
expect_eq "$(files harbour --since today)" "today.txt" "today"
expect_eq "$(files harbour --since yesterday)" "today.txt" "yesterday"
expect_eq "$(files harbour --since 7d)" "today.txt" "7d"
expect_eq "$(files harbour --since 2w)" "today.txt" "2w"
expect_eq "$(files harbour --until 1d --since 2025-12-02)" "feed.jsonl//#f1" "--until 1d"
run nutgraf-query harbour --since 2025-12 --until 2025-11
expect_status 2 "an inverted range is a usage error"
expect_match "$ERR" "^nutgraf-query: error: the dates 2025-12 to 2025-11 hold no day" "saying so"
run nutgraf-query harbour --since 'next week'
expect_status 2 "an unreadable query date"
expect_match "$ERR" "use YYYY, YYYY-MM, YYYY-MM-DD, today, yesterday, Nd or Nw" "naming the forms"

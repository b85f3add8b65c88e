# Wire datelines (fixtures/wire, one file per form): the place is recorded
# without its agency, the day apart from it (JSON "dateline_day"), a
# dateline on a line of its own opens the paragraph after it, and the
# dateline stays in the lede's searchable text.
nutgraf-index -q fixtures/wire
run nutgraf-query --all --limit 0 --format json
got=$(python3 -c '
import json, sys, os
seen = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    name = os.path.basename(r["path"])
    if name.startswith("dateline-") and r["ordinal"] == 1:
        print("%s|%s|%s|%d-%d" % (name, r["dateline"], r["dateline_day"], r["first_line"], r["last_line"]))' "$out" | sort)
expect_eq "$got" "dateline-agency.txt|LONDON|None|6-6
dateline-ap.txt|Houston|None|6-6
dateline-day.txt|HOUSTON|Feb 26|5-7
dateline-en-dash.txt|Lyon, France|None|6-6
dateline-own-line.txt|CHICAGO|March 3|5-8
dateline-region.txt|PORTLAND, Ore.|Feb. 26|5-7" "every form: place, day, and the lede's lines"
run nutgraf-query --format grep 'CHICAGO grain'
expect_match "$OUT" "dateline-own-line.txt:5:CHICAGO, March 3 - Grain shipments" "a dateline on its own line opens the lede, and is searched with it"

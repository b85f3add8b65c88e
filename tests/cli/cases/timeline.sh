# Timelines (issue 13, item 5): --count-by day on a dated corpus equals the
# counts made by hand from --format json output, for two queries with a
# --since/--until range; week, month and source likewise, and JSON buckets
# equal the text ones.  The corpus is a feed written here: 80 records over
# 24 days (some with times and zones, so a day can be given in UTC), a few
# undated, from three sources.
python3 - <<'PY'
import json, random
rng = random.Random(13)
words = "harbour strike ferry union council budget river bridge storm port".split()
filler = "officials said on the day that talks would go on into the evening as crowds gathered outside".split()
with open("dated.jsonl", "w") as f:
    for i in range(80):
        day = 1 + rng.randrange(24)
        if i % 17 == 0:
            date = None
        elif i % 3 == 0:
            date = "2025-03-%02dT%02d:30:00+02:00" % (day, rng.randrange(24))
        else:
            date = "2025-03-%02d" % day
        paras = []
        for _ in range(1 + rng.randrange(4)):
            paras.append(" ".join(rng.sample(filler, 8) + rng.sample(words, 2)) + " (%d)." % rng.randrange(10**6))
        rec = {"id": "r%d" % i, "title": "Report %d on %s" % (i, rng.choice(words)), "body": "\n\n".join(paras),
               "source": ["North Wire", "South Desk", "East Post"][i % 3]}
        if date:
            rec["date"] = date
        f.write(json.dumps(rec) + "\n")
PY
nutgraf-index -q dated.jsonl

# by_hand BY QUERY OPTIONS...: "key passages stories" per bucket, counted
# from every matching passage of the JSON output.
by_hand() {
  local by=$1
  shift
  nutgraf-query --format json --limit 0 --per-story 0 --no-collapse "$@" | python3 -c '
import collections, datetime, json, sys
by = sys.argv[1]
passages, stories = collections.Counter(), collections.defaultdict(set)
def key(r):
    if by == "source": return r["source"] or "(no source)"
    if not r["date"]: return "(undated)"
    day = r["date"][:10]
    if by == "day": return day
    if by == "month": return day[:7]
    y, w, _ = datetime.date.fromisoformat(day).isocalendar()
    return "%04d-W%02d" % (y, w)
for r in map(json.loads, sys.stdin):
    passages[key(r)] += 1
    stories[key(r)].add(r["doc_id"])
last = ("(undated)", "(no source)")
for k in sorted(passages, key=lambda k: (k in last, k)):
    print(k, passages[k], len(stories[k]))' "$by"
}
# as_text BY QUERY OPTIONS...: --count-by's text, without its header, one space apart.
as_text() {
  local by=$1
  shift
  nutgraf-query --count-by "$by" "$@" | sed 1d | sed -E 's/ +/ /g; s/^\((no source)\)/(no source)/' |
    sed -E 's/^(.*[^ ]) ([0-9]+) ([0-9]+)$/\1 \2 \3/'
}
# as_json BY QUERY OPTIONS...: --count-by's JSON buckets, as the text.
as_json() {
  local by=$1
  shift
  nutgraf-query --count-by "$by" --format json "$@" | python3 -c '
import json, sys
by = sys.argv[1]
for b in map(json.loads, sys.stdin):
    assert b["type"] == "bucket" and b["by"] == by
    k = b["key"] if b["key"] is not None else ("(no source)" if by == "source" else "(undated)")
    print(k, b["passages"], b["stories"])' "$by"
}

for query in harbour "strike OR ferry"; do
  range="--since 2025-03-05 --until 2025-03-18"
  # shellcheck disable=SC2086 # the range is two options
  want=$(by_hand day $range "$query")
  days=$(printf '%s\n' "$want" | grep -c .)
  if [ "$days" -ge 8 ] && [ "$days" -le 14 ]; then
    pass "$query: $days days of the 14 in the range have hits (a timeline worth comparing)"
  else
    fail "$query: $days days with hits in a range of 14"
  fi
  # shellcheck disable=SC2086
  expect_eq "$(as_text day $range "$query")" "$want" "$query: --count-by day $range equals the counts by hand"
  # shellcheck disable=SC2086
  expect_eq "$(as_json day $range "$query")" "$want" "$query: and its JSON buckets too"
  for by in week month source; do
    # shellcheck disable=SC2086
    expect_eq "$(as_text $by $range "$query")" "$(by_hand $by $range "$query")" "$query: --count-by $by $range by hand"
  done
  expect_eq "$(as_text day "$query")" "$(by_hand day "$query")" "$query: --count-by day, no range (undated last)"
done
expect_match "$(as_text day harbour)" "^\(undated\) [0-9]+ [0-9]+$" "undated documents have a bucket of their own"
expect_match "$(as_text source harbour 'source:"north wire"')" "^North Wire [0-9]+ [0-9]+$" "a source: filter applies"
expect_no_match "$(as_text source harbour 'source:"north wire"')" "South" "and leaves the other sources out"
run nutgraf-query --count-by day --count harbour
expect_status 2 "--count-by and --count do not go together"
run nutgraf-query --count-by year harbour
expect_status 2 "an unknown bucket"
run nutgraf-query --count-by day zzyzxq
expect_status 1 "no match: exit 1"

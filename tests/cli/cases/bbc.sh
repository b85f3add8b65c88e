# The BBC corpus (../shared/corpora/bbc-news): all 2,225 articles, every
# paragraph a passage, the Latin-1 pound sign of sport/199.txt as UTF-8.
need_shared corpora/bbc-news
bbc=$(python3 -c "import os, sys; print(os.path.normpath(os.path.abspath(sys.argv[1])))" "$SHARED/corpora/bbc-news")
run nutgraf-index "$bbc"
expect_status 0 "indexing the BBC corpus exits 0"
expect_eq "$ERR" "$(printf '%s\n' "$ERR" | grep -v 'error\|warning')" "with no error or warning"
run nutgraf-query --all --limit 0 --format json
python3 - "$out" "$bbc" >check.txt <<'PY'
import collections, glob, json, os, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    rows[r["path"]].append(r)
articles = sorted(glob.glob(os.path.join(sys.argv[2], "*", "*.txt")))
print("articles", len(articles), "indexed", sum(1 for a in articles if a in rows))
bad = []
for a in articles:
    raw = open(a, "rb").read()
    try:
        text = raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        text = raw.decode("cp1252").split("\n")
    want = [(i + 1, l.strip(" \t")) for i, l in enumerate(text) if l.strip()]
    got = []
    for r in rows[a]:
        span = [(n, text[n - 1].strip(" \t")) for n in range(r["first_line"], r["last_line"] + 1) if text[n - 1].strip()]
        if " ".join(s for _, s in span) != r["text"]:
            bad.append((a, r["first_line"], "text differs"))
        got += span
    if got != want:
        bad.append((a, "lines", "not covered once in order"))
print("bad", len(bad), bad[:3])
p199 = [r for r in rows[os.path.join(sys.argv[2], "sport", "199.txt")] if "\u00a315.8m" in r["text"]]
print("199", len(p199))
PY
expect_eq "$(sed -n 1p check.txt)" "articles 2225 indexed 2225" "all 2,225 articles are indexed"
expect_eq "$(sed -n 2p check.txt)" "bad 0 []" "every line of every article is in exactly one passage, in order, text intact"
expect_eq "$(sed -n 3p check.txt)" "199 1" "sport/199.txt's £ is stored as UTF-8"
run nutgraf-query --format grep '£15.8m'
expect_match "$OUT" "sport/199.txt:5:" "and found by a search for £15.8m"

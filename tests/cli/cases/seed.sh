# The sample article the product was specified from (../shared/seed): its
# segmentation, its dateline, and the queries the query issue names.
need_shared seed
seed=$(ls "$SHARED"/seed/*.txt | head -1)

run nutgraf-index "$seed"
expect_status 0 "index the seed article"

run nutgraf-query --all --limit 0 --format json
expect_status 0 "list its passages"
got=$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%s:%d-%d" % (r["kind"][0], r["first_line"], r["last_line"]) for r in rows))
print(rows[0]["dateline"])' "$out")
expect_eq "$(echo "$got" | head -1)" \
  "h:1-2 p:3-7 p:8-12 p:13-17 p:18-21 p:22-25 p:26-29 p:30-33 p:34-38 p:39-42 p:43-47 p:48-51 p:52-54 p:55-57 p:58-60 p:61-63 p:64-66 p:67-69 p:70-72 p:73-75 p:76-77" \
  "21 passages: the headline on lines 1-2 and 20 paragraphs at the listed lines"
expect_eq "$(echo "$got" | tail -1)" "Anchorage, Alaska" "the dateline is recorded"

sorted() { lines "$@" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "$(sorted ceasefire)" "1 3 52" "ceasefire: the headline, the lede and line 52"
expect_eq "$(sorted NATO)" "1 43 48" "NATO: the headline and lines 43 and 48"
expect_eq "$(sorted sanctions)" "61" "sanctions: line 61"
expect_eq "$(sorted Zelensky)" "1 30 64" "Zelensky finds the Zelenskyy passages"
expect_eq "$(sorted cease-fire)" "1 3 52" "cease-fire finds the ceasefire passages"
expect_eq "$(sorted '"North Atlantic Treaty Organization"')" "1 43 48" "the spelled-out name finds the NATO passages"
expect_eq "$(sorted 'negotiat*')" "13 26 34 67" "negotiat* finds negotiating, negotiations and negotiation"
expect_eq "$(sorted "Ukraine's")" "3 8 43 48 67" "Ukraine's finds Ukraine’s and Ukraine"

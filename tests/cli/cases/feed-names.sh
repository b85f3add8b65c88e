# A feed record's document name is one no file can have: a file named
# "w.jsonl#1" beside w.jsonl, whose record 1 it would once have shadowed,
# is a document of its own, and a second run finds both unchanged.
mkdir d
printf '{"id":"1","title":"Record one","body":"The record about sanctions."}\n' >d/w.jsonl
printf 'File named like a record\n\nA file about tariffs.\n' >'d/w.jsonl#1'
printf 'File named like the new form\n\nA file about quotas.\n' >'d/w.jsonl#2'
run nutgraf-index d
expect_status 0 "a feed and files named like its records"
expect_match "$ERR" "^nutgraf-index: 3 new, 0 changed, 0 removed, 0 unchanged" "three documents: the record and both files"
run nutgraf-index d
expect_match "$ERR" "^nutgraf-index: 0 new, 0 changed, 0 removed, 3 unchanged" "a second run finds all three unchanged"
run nutgraf-query --format grep sanctions
expect_eq "$OUT" "d/w.jsonl:1:The record about sanctions." "grep names a feed file's record by the file and the record's line"
expect_eq "$(nutgraf-query --format json sanctions | jq -r '[(if .id == null then .path elif .feed == "stdin" then "stdin#" + .id else .feed + "//#" + .id end), .feed_line] | join(" ")')" \
  "$T/d/w.jsonl//#1 1" "the record is named <feed>//#<id>; JSON feed_line is its line in the file"
run nutgraf-query --format grep tariffs
expect_eq "$OUT" "d/w.jsonl#1:3:A file about tariffs." "the file keeps its own name and text"
printf '{"id":"7","title":"From stdin","body":"A record about embargoes."}\n' | nutgraf-index -q --jsonl -
run nutgraf-query --format grep embargoes
expect_eq "$OUT" "stdin#7:3:A record about embargoes." "a record read from standard input is stdin#<id>, with its passage's line"
expect_eq "$(nutgraf-query --format json embargoes | jq -c .feed_line)" null "a record from a stream has no feed_line"


# --- a record's line in its feed file follows the file ---------------------

printf '\n{"id":"0","title":"Record zero","body":"A record about quotas and tariffs."}\n' >d/new.jsonl
cat d/w.jsonl >>d/new.jsonl
mv d/new.jsonl d/w.jsonl
run nutgraf-index d
expect_match "$ERR" "^nutgraf-index: 1 new, 0 changed, 0 removed, 3 unchanged" "a record added above: record 1 is unchanged"
run nutgraf-query --format grep sanctions
expect_eq "$OUT" "d/w.jsonl:3:The record about sanctions." "its line in the file is the new one (a blank line and a record above it)"
run nutgraf-query --format grep --index "$NUTGRAF_INDEX" quotas
expect_match "$OUT" "^d/w.jsonl:2:A record about quotas and tariffs.$" "the new record is on line 2"
(cd / && nutgraf-query --format grep sanctions) >abs.out
expect_eq "$(cat abs.out)" "$T/d/w.jsonl:3:The record about sanctions." "from elsewhere, the feed file's absolute path"

# --- stdin feeds with names (issue 13, item 3) -------------------------------

printf '%s\n' '{"id":"1","title":"AP: talks open","body":"Envoys gather for armistice talks in Vienna."}' \
  '{"id":"2","title":"AP: markets","body":"Armistice hopes lift the markets."}' >ap.jsonl
printf '%s\n' '{"id":"1","title":"AFP: talks stall","body":"The armistice talks stall in Vienna."}' >afp.jsonl
run nutgraf-index --feed-name ap --jsonl - <ap.jsonl
expect_status 0 "--feed-name ap --jsonl -"
run nutgraf-index --jsonl - --feed-name afp <afp.jsonl
expect_match "$ERR" "^nutgraf-index: 1 new, 0 changed, 0 removed, 0 unchanged" "--feed-name afp: its record 1 is new beside ap's record 1"
run nutgraf-query --format grep --per-story 0 armistice
expect_eq "$(printf '%s\n' "$OUT" | sort)" "afp//#1:3:The armistice talks stall in Vienna.
ap//#1:3:Envoys gather for armistice talks in Vienna.
ap//#2:3:Armistice hopes lift the markets." "both stories with id 1 are kept, each named <feed>//#<id>"
run nutgraf-index --feed-name ap --jsonl - <ap.jsonl
expect_match "$ERR" "^nutgraf-index: 0 new, 0 changed, 0 removed, 2 unchanged" "ap again: its records are unchanged, afp's are not read"
printf '%s\n' '{"id":"1","title":"AFP: talks resume","body":"The armistice talks resume in Vienna."}' >afp.jsonl
run nutgraf-index --feed-name afp --jsonl - <afp.jsonl
expect_match "$ERR" "^nutgraf-index: 0 new, 1 changed, 0 removed, 0 unchanged" "a changed afp record 1 replaces afp's, not ap's"
expect_eq "$(nutgraf-query -c armistice)" 3 "three armistice stories"
run nutgraf-index --feed-name 'a/b' --jsonl - </dev/null
expect_status 2 "--feed-name with a / is a usage error"
run nutgraf-index --feed-name ap d
expect_status 2 "--feed-name without --jsonl - is a usage error"

# --- --remove ----------------------------------------------------------------

run nutgraf-index --remove afp
expect_status 0 "--remove afp"
expect_eq "$OUT" "afp//#1" "--remove prints each document it removed"
expect_match "$ERR" "0 new, 0 changed, 1 removed" "the summary counts it"
run nutgraf-query --format grep --per-story 0 armistice
expect_eq "$(printf '%s\n' "$OUT" | sort)" "ap//#1:3:Envoys gather for armistice talks in Vienna.
ap//#2:3:Armistice hopes lift the markets." "--remove of one feed leaves the other"
run nutgraf-index --remove afp
expect_status 1 "--remove of what the index no longer holds"
expect_eq "$OUT:$(printf '%s\n' "$ERR" | head -1)" ":nutgraf-index: warning: nothing in the index comes from 'afp'" "says so in one line"
run nutgraf-index --quiet --remove afp
expect_eq "$status:$OUT:$ERR" "1::" "under --quiet, only the exit status says so"
run nutgraf-index --remove ap:2
expect_eq "$status:$OUT" "0:ap//#2" "--remove FEED:ID removes one record"
run nutgraf-index --remove d/w.jsonl:0
expect_eq "$status:$OUT" "0:$T/d/w.jsonl//#0" "--remove FILE:ID removes one record of a feed file"
run nutgraf-index --remove d/w.jsonl
expect_eq "$status:$OUT" "0:$T/d/w.jsonl//#1
$T/d/w.jsonl" "--remove FEEDFILE removes its records, then the feed"
run nutgraf-index --remove d
expect_eq "$status:$OUT" "0:$T/d/w.jsonl#1
$T/d/w.jsonl#2" "--remove DIR removes what was indexed under it"
expect_eq "$(nutgraf-query --all --format json | jq -r '(if .id == null then .path elif .feed == "stdin" then "stdin#" + .id else .feed + "//#" + .id end)' | sort -u)" "ap//#1
stdin#7" "what was not named stays"
expect_eq "$(ls d | sort | tr '\n' ' ')" "w.jsonl w.jsonl#1 w.jsonl#2 " "--remove leaves the files alone"
run nutgraf-index --remove stdin
expect_eq "$status:$OUT" "0:stdin#7" "--remove stdin removes the unnamed stream's records"
run nutgraf-index --remove ap d
expect_status 2 "--remove with a path to index is a usage error"
run nutgraf-index d
expect_match "$ERR" "^nutgraf-index: 4 new" "indexed again, a removed folder is new"

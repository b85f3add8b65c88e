# --source and a folder's documentation (issue 13): --source NAME is the
# source of what names none, a Source: header or a record's "source" wins;
# a folder's README* and *.md files are skipped unless --include-docs, and
# a file given as a path is indexed whatever its name.
mkdir -p desk/sub
printf 'Harbour reopens\n\nThe harbour reopened after the storm.\n' >desk/plain.txt
printf 'Source: Own Wire\n\nHarbour pilots strike\n\nHarbour pilots walked out.\n' >desk/sourced.txt
printf 'About this folder\n\nHarbour stories from the desk.\n' >desk/README
printf 'Notes\n\nHarbour notes.\n' >desk/sub/NOTES.md
printf 'Readme\n\nHarbour readme.\n' >desk/sub/readme.txt
run nutgraf-index --source 'Desk Wire' desk
expect_match "$ERR" "^nutgraf-index: 2 new, " "two articles; README, readme.txt and NOTES.md are skipped"
expect_eq "$(nutgraf-query --files 'source:"Desk Wire" harbour')" "desk/plain.txt" "--source names the source of a file without one"
expect_eq "$(nutgraf-query --files 'source:"Own Wire" harbour')" "desk/sourced.txt" "a Source: header keeps its own"
run nutgraf-index --include-docs -v desk
expect_match "$ERR" "^nutgraf-index: 3 new, " "--include-docs indexes them"
expect_match "$ERR" "new +desk/README|new +$T/desk/README" "README is new"
run nutgraf-index desk
expect_match "$ERR" "^nutgraf-index: 0 new, 0 changed, 3 removed, " "without it again, they are removed"
run nutgraf-index desk/README
expect_match "$ERR" "^nutgraf-index: 1 new, " "a README given as a path is indexed"
printf '%s\n' '{"id":"1","title":"Harbour tug","body":"A harbour tug sank."}' \
  '{"id":"2","title":"Harbour fees","body":"Harbour fees rise.","source":"Port Authority"}' |
  nutgraf-index -q --feed-name port --source Harbourmaster --jsonl -
expect_eq "$(nutgraf-query --format json --per-story 1 -n 0 'harbour (tug OR fees)' | jq -r '[(if .id == null then .path elif .feed == "stdin" then "stdin#" + .id else .feed + "//#" + .id end), .source] | join(" ")' | sort)" \
  "port//#1 Harbourmaster
port//#2 Port Authority" "on a feed: the records without a source get --source's"

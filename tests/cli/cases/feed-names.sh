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
expect_eq "$OUT" "d/w.jsonl//#1:3:The record about sanctions." "the record is named <feed>//#<id>"
run nutgraf-query --format grep tariffs
expect_eq "$OUT" "d/w.jsonl#1:3:A file about tariffs." "the file keeps its own name and text"
printf '{"id":"7","title":"From stdin","body":"A record about embargoes."}\n' | nutgraf-index -q --jsonl -
run nutgraf-query --format grep embargoes
expect_eq "$OUT" "stdin#7:3:A record about embargoes." "a record read from standard input is stdin#<id>"

# Re-runs touch only what changed; removals only under the roots given.
cp -R fixtures/articles news
run nutgraf-index news
expect_status 0 "first run"
summary() { printf '%s\n' "$ERR" | grep '^nutgraf-index: [0-9]* new' | sed 's/; [0-9.]* s;.*//; s/; [0-9]* passages written//'; }
expect_eq "$(summary)" "nutgraf-index: 9 new, 0 changed, 0 removed, 0 unchanged, 1 skipped" "9 articles new"
count_before=$(nutgraf-query --all --limit 0 --format json | wc -l)

run nutgraf-index news
expect_eq "$(summary)" "nutgraf-index: 0 new, 0 changed, 0 removed, 9 unchanged, 1 skipped" "a second run changes nothing"
expect_match "$ERR" "0 passages written" "and writes no passage"

touch -d '2030-01-01' news/crlf.txt
run nutgraf-index news
expect_eq "$(summary)" "nutgraf-index: 0 new, 0 changed, 0 removed, 9 unchanged, 1 skipped" "a touched file with the same content is unchanged"

printf 'Edited headline about a truce\n\nA new paragraph.\n' >news/one-per-line.txt
printf 'Added story\n\nIt mentions a blockade.\n' >news/added.txt
rm news/markets-blank-lines.txt
run nutgraf-index -v news
expect_eq "$(summary)" "nutgraf-index: 1 new, 1 changed, 1 removed, 7 unchanged, 1 skipped" "edit, add and delete one file each"
expect_match "$ERR" "^changed +.*one-per-line.txt" "the edited file is the changed one"
expect_match "$ERR" "^new +.*added.txt" "the added file is the new one"
expect_match "$ERR" "^removed +.*markets-blank-lines.txt" "the deleted file is the removed one"
run nutgraf-query --format grep blockade
expect_match "$OUT" "added.txt:3:" "the new file is searchable"
run nutgraf-query sanctions --format grep
expect_no_match "$OUT" "markets-blank-lines" "the deleted file's passages are gone"
run nutgraf-query --format grep 'Edited headline'
expect_match "$OUT" "one-per-line.txt:1:Edited headline" "the changed file's new text is searchable"

# A file outside the roots of this run is never removed.
mkdir other && printf 'Other desk\n\nAbout fisheries.\n' >other/a.txt
nutgraf-index -q other
run nutgraf-index news
expect_match "$ERR" " 0 removed" "indexing one root keeps the other root's documents"
run nutgraf-query --format grep fisheries
expect_match "$OUT" "other/a.txt" "the other root is still searchable"

# --full rebuilds the index: every file under news again, and the other
# root's file too (the rebuilt index holds all the old one did); --check
# verifies.
run nutgraf-index --full news
expect_match "$ERR" "0 new, 10 changed, 0 removed, 0 unchanged" "--full re-reads every file, the other root's too"
run nutgraf-index --check
expect_status 0 "--check after the runs"
expect_match "$OUT" "ok: 10 documents" "--check counts the documents"

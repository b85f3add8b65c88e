# Fields: dateline:, author: and date: filter; field names in any case; an
# unknown field is searched as words, with one note line on stderr and a
# line of --explain.
nutgraf-index -q fixtures/articles fixtures/wire
files() { nutgraf-query --files -n 0 "$@" | sed 's#.*/##' | sort | tr '\n' ' ' | sed 's/ $//'; }

expect_eq "$(files 'dateline:houston said')" "dateline-ap.txt dateline-day.txt" "dateline: matches the place, in any case"
expect_eq "$(files 'dateline:"portland, ore" timber')" "dateline-region.txt" "a quoted dateline value"
expect_eq "$(files -- '-dateline:houston said')" "$(files said | tr ' ' '\n' | grep -v 'dateline-ap.txt\|dateline-day.txt' | tr '\n' ' ' | sed 's/ $//')" "-dateline: excludes"
expect_eq "$(files 'author:natarajan count')" "header-block.txt" "author: matches the author"
expect_eq "$(files 'AUTHOR:Natarajan count')" "header-block.txt" "AUTHOR: is author:"
expect_eq "$(files 'Title:refinery output')" "$(files 'title:refinery output')" "Title: is title:"
expect_eq "$(files 'title:refinery output')" "dateline-day.txt" "title: restricts to the headline"
expect_eq "$(files 'date:2026-02-26 said')" "dateline-day.txt dateline-region.txt" "date: a day"
expect_eq "$(files 'date:2026-02-27..2026-03 said')" "dateline-agency.txt dateline-ap.txt dateline-en-dash.txt dateline-own-line.txt" "date: a range"
expect_eq "$(files 'date:2026-03.. said')" "dateline-own-line.txt" "date: an open range"
run nutgraf-query 'date:2026-03..2026-02 said'
expect_status 2 "an inverted date: range is a usage error"
expect_match "$ERR" "^nutgraf-query: error: date:2026-03..2026-02 holds no day" "saying so"

run nutgraf-query --format grep 'Bayport:refinery output'
expect_status 0 "an unknown field is searched as words"
expect_match "$OUT" "dateline-day.txt" "finding them"
expect_eq "$ERR" "nutgraf-query: note: Bayport: is not a field (the fields are title:, source:, path:, dateline:, author: and date:); searched as words" "one note line on stderr"
run nutgraf-query --explain --count 'Bayport:refinery output'
expect_match "$ERR" "\"Bayport:refinery\": Bayport: is not a field; searched as words" "--explain says so"
expect_eq "$(printf '%s\n' "$ERR" | grep -c '^nutgraf-query: note:')" "1" "and the note is printed once"
# Both words of an unknown field are required, as the words would be:
# the hits are what --count counts ("zzqx:refinery" finds nothing).
hits=$(nutgraf-query --per-story 0 --no-collapse --limit 0 --files 'zzqx:refinery' 2>/dev/null | grep -c .)
expect_eq "$hits $(nutgraf-query --count 'zzqx:refinery' 2>/dev/null)" "0 0" "an unknown field's words are both required (hits and --count agree)"
run nutgraf-query --format grep 'http://example.org refinery'
expect_no_match "$ERR" "note" "a URL is no field"

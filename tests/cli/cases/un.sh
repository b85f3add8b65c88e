# UN and U.N.: a dotted acronym is one word, so U.N. is UN; the variant
# "United Nations" (quoted in data/variants.txt) counts only where those
# words are written, not in "the unit National Can Corp".
nutgraf-index -q fixtures/articles fixtures/wire
files() { nutgraf-query --files -n 0 "$@" | sed 's#.*/##' | sort | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "$(files UN)" "crlf.txt un-council.txt" "UN finds U.N. and the United Nations, not the unit National Can"
expect_eq "$(files U.N.)" "crlf.txt un-council.txt" "U.N. finds the same"
expect_eq "$(files 'UN relief')" "un-council.txt" "with another word"
expect_eq "$(files --no-variants UN)" "un-council.txt" "without variants, the acronym alone"
expect_eq "$(files 'unit national')" "crlf.txt un-canning.txt" "typed words are stemmed as ever (united nations has both), but do not turn into UN"
run nutgraf-query --count UN
expect_eq "$OUT" "$(nutgraf-query --format json -n 0 --per-story 0 UN | wc -l | tr -d ' ')" "--count counts what the search shows"
run nutgraf-query --explain --count UN
expect_match "$ERR" "quoted variants \(united nations\) count only where their words are written so" "--explain says so"
run nutgraf-query --format grep --per-story 0 'U.N.'
expect_match "$OUT" "un-council.txt:5:GENEVA, June 3 - The U.N. relief office" "a hit on U.N."

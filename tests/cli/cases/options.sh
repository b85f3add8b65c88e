# Options anywhere (GNU argument permutation) in both programs; "--" ends
# them, so a query that starts with an excluded word comes after it.
nutgraf-index -q fixtures/articles fixtures/feeds

run nutgraf-query NATO --color=never --format grep --per-story 0
expect_status 0 "NATO --color=never: options after the query"
expect_no_match "$OUT" "color" "the option is not a query word"
expect_match "$OUT" "summit-geneva.txt:1:" "NATO is searched"
run nutgraf-query --count NATO
nato=$OUT
run nutgraf-query NATO --count
expect_eq "$OUT" "$nato" "--count after the query counts what it counts before"

run nutgraf-query ceasefire -n 3 --format grep
expect_status 0 "ceasefire -n 3"
expect_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "3" "-n 3 after the query limits to 3"

run nutgraf-query --format grep -- '-oil sanctions'
expect_status 0 "-- '-oil sanctions' reads the query"
expect_match "$OUT" "summit-geneva.txt:34:" "sanctions without oil"
run nutgraf-query --format grep -- sanctions -gas
expect_no_match "$OUT" "markets-blank-lines" "words after -- may start with -"
run nutgraf-query sanctions -oil
expect_status 2 "an excluded word before -- is an unknown option"
expect_eq "$(printf "%s\n" "$ERR" | sed -n 2p)" "Try 'nutgraf-query --help'." "and the usual hint"
expect_match "$ERR" "^nutgraf-query: error: unknown option '-o' \(a query with a -word goes after --\)$" "saying where the -word goes"

cp fixtures/articles/one-per-line.txt ./-dash.txt
run nutgraf-index -- -dash.txt
expect_status 0 "nutgraf-index -- -dash.txt"
run nutgraf-index fixtures/articles -q
expect_status 0 "nutgraf-index PATH -q"
expect_eq "$ERR" "" "-q after the path is an option"

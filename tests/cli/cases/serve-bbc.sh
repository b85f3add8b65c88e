# nutgraf-serve on the BBC corpus (../shared): /search answers the records
# nutgraf-query --format json prints, in the same order, for every query of
# bench/queries.txt (also with an offset, and sorted by date); the total is
# nutgraf-query --count.
. "$NG_SRC/tests/serve/lib.sh"
need_shared corpora/bbc-news
bbc="$SHARED/corpora/bbc-news"
nutgraf-index -q -i bbc.db "$bbc/business" "$bbc/entertainment" "$bbc/politics" "$bbc/sport" "$bbc/tech"
start_server -i bbc.db
run python3 "$CLIENT" compare "$URL" bbc.db "$NG_SRC/bench/queries.txt"
expect_status 0 "BBC: /search equals nutgraf-query --format json ($(tail -1 "$out"))"
[ "$status" -eq 0 ] || head -20 "$out"
stop_server

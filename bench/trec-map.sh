#!/bin/sh
# bench/trec-map.sh -- MAP of a TREC run file, computed independently of
# bench/relevance.py, to re-check its numbers.
#
# Usage: sh bench/trec-map.sh QRELS RUN
#   QRELS: TREC qrels, "qid iter docno rel" (rel > 0 = relevant)
#   RUN:   TREC run,   "qid Q0 docno rank score tag"
# Prints the number of judged queries and the MAP on stdout.
#
# Written differently from relevance.py on purpose: it ignores the rank
# column and orders each query's documents the way trec_eval does (score
# descending, ties by docno descending) with sort(1), then streams them
# through awk. MAP = mean over the queries with at least one relevant
# document in QRELS (a query absent from RUN counts 0) of
# AP = (sum of precision at each relevant retrieved document) / (relevant).
set -eu

case "${1:-}" in
-h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
    ;;
esac
if [ "$#" -ne 2 ] || [ ! -r "$1" ] || [ ! -r "$2" ]; then
    echo "usage: sh bench/trec-map.sh QRELS RUN" >&2
    exit 2
fi
qrels=$1
run=$2

LC_ALL=C sort -k1,1 -k5,5gr -k3,3r "$run" | LC_ALL=C awk -v qrels="$qrels" '
BEGIN {
    while ((getline line < qrels) > 0) {
        if (split(line, f, " ") >= 4 && f[4] + 0 > 0 && !((f[1], f[3]) in rel)) {
            rel[f[1], f[3]] = 1
            nrel[f[1]]++
        }
    }
}
!(($1, $3) in seen) {
    seen[$1, $3] = 1
    pos[$1]++
    if (($1, $3) in rel) {
        found[$1]++
        sum[$1] += found[$1] / pos[$1]
    }
}
END {
    for (q in nrel) {
        n++
        total += sum[q] / nrel[q]
    }
    printf "judged queries %d\nMAP %.4f\n", n, (n ? total / n : 0)
}'

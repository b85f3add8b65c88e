#!/bin/sh
# bench/check-porter-map.sh -- an independent computation of the FTS5-porter
# baseline's MAP on MED, to cross-check bench/relevance.py.
#
# Usage: sh bench/check-porter-map.sh [COLLECTION_DIR] [RUN_OUT]
#   COLLECTION_DIR defaults to ../shared/eval/med (relative to the repo root);
#   RUN_OUT, if given, keeps the TREC run file it made.
#
# Nothing is shared with relevance.py: the sqlite3 shell loads each
# docs/<id>.txt whole (readfile) into `fts5(body, tokenize='porter')`, awk turns
# each query into lower-cased words quoted and OR-ed, one SQL statement ranks
# every query by bm25 (top 1000), and bench/trec-map.sh computes the MAP.
# On MED every document is a single paragraph, so one document = one passage
# and the result must agree with relevance.py's "FTS5 porter bm25 (MaxP)" row.
# Skips (exit 0) when the collection or the sqlite3 shell is missing.
set -eu

case "${1:-}" in
-h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
    ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
coll=${1:-$here/../../shared/eval/med}
out=${2:-}

if [ ! -d "$coll/docs" ]; then
    echo "Skipped: collection $coll not found (../shared is absent?)"
    exit 0
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "Skipped: no sqlite3 shell (run bench/setup)"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nutgraf-check-map.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. The porter table, one row per document, rowid = document id.
{
    echo "BEGIN;"
    echo "CREATE VIRTUAL TABLE p USING fts5(body, tokenize='porter');"
    for f in "$coll"/docs/*.txt; do
        id=$(basename "$f" .txt)
        printf "INSERT INTO p(rowid, body) VALUES(%s, CAST(readfile('%s') AS TEXT));\n" \
            "$id" "$(printf '%s' "$f" | sed "s/'/''/g")"
    done
    echo "COMMIT;"
} > "$tmp/load.sql"
sqlite3 -bail "$tmp/med.db" < "$tmp/load.sql"

# 2. Queries as FTS5 expressions: "w1" OR "w2" OR ... (letters/digits only).
LC_ALL=C awk -F '\t' '
{
    text = tolower($2)
    gsub(/[^a-z0-9]+/, " ", text)
    n = split(text, w, " ")
    expr = ""
    for (i = 1; i <= n; i++)
        expr = expr (i > 1 ? " OR " : "") "\"" w[i] "\""
    gsub(/\x27/, "\x27\x27", expr)
    if (n > 0)
        printf "INSERT INTO q VALUES(%s, \x27%s\x27);\n", $1, expr
}' "$coll/queries.tsv" > "$tmp/queries.sql"

# 3. Rank every query by bm25 (lower is better in FTS5), keep the top 1000.
{
    echo "CREATE TEMP TABLE q(qid INTEGER, expr TEXT);"
    cat "$tmp/queries.sql"
    echo "CREATE TEMP TABLE r AS SELECT q.qid AS qid, p.rowid AS docid, bm25(p) AS s"
    echo "  FROM q JOIN p ON p MATCH q.expr;"
    echo ".mode list"
    echo ".separator ' '"
    echo "SELECT qid, 'Q0', docid, rk, -s, 'check' FROM ("
    echo "  SELECT qid, docid, s, row_number() OVER (PARTITION BY qid ORDER BY s, docid DESC) AS rk"
    echo "  FROM r) WHERE rk <= 1000 ORDER BY qid, rk;"
} > "$tmp/rank.sql"
sqlite3 -bail "$tmp/med.db" < "$tmp/rank.sql" > "$tmp/check.run"

[ -n "$out" ] && cp "$tmp/check.run" "$out"
echo "collection $(basename "$(cd "$coll" && pwd)"), FTS5 porter, document = passage,"\
    "ranked by the sqlite3 shell:"
sh "$here/trec-map.sh" "$coll/qrels.txt" "$tmp/check.run"

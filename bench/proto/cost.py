#!/usr/bin/env python3
"""What query expansion would cost on short news queries (BBC corpus).

For each plain-word query of bench/queries.txt (1-3 words), with a ranking
configuration of rank_proto.py (--config), it reports
  - the first pass: passages matched (= rows the rank function scores) and
    postings read (sum of the terms' passage frequencies),
  - the expansion terms RM3/Bo1 picks from the first pass,
  - a full second pass (the expanded OR query over the whole index): rows
    and postings, and the reranking alternative (only the first pass's top
    N passages re-scored),
and, with --latency, times ng_search in-process (bench/latency.c) on the
original OR query and on the expanded one, so the ratio (first + second
pass) / first pass can be read off.  Research tool; reads ../shared in place.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rank_proto as P  # noqa: E402

B = P.B


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(B.DEFAULT_SHARED, "corpora", "bbc-news"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--config", default="stop=snowball,prf=rm3")
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="rank_proto.")
    inputs = B.corpus_inputs(args.corpus)
    coll = P.Collection("bbc", None, work, inputs=inputs)
    rk = P.Ranker(coll, P.Stemmer())
    cfg = P.parse_cfg(args.config)
    queries = []
    with open(os.path.join(P.BENCH, "queries.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or re.search(r'["*]', line):
                continue
            queries.append(line)
    print(f"config: {P.cfg_text(cfg)}; {coll.N} passages\n")
    print("| query | rows 1st | postings 1st | expansion terms (first 6) | rows 2nd (full) "
          "| postings 2nd (full) | full ÷ 1st rows |")
    print("|---|---:|---:|---|---:|---:|---:|")
    lines = []
    ratios = []
    for text in queries:
        qterms = rk.query_terms(text, cfg)
        terms = [(t, 1.0) for t in qterms]
        scores = rk.total_scores(terms, cfg)
        ranked = rk.top(scores, cfg["limit"])
        e = rk.expand(qterms, ranked, cfg) if cfg["prf"] else terms
        new = [t for t, _w in e if t not in set(qterms)]
        rows1 = len(scores)
        post1 = sum(len(coll.post.get(t, ())) for t in set(qterms))
        rows2 = len({i for t, _w in e for i, _b, _h in coll.post.get(t, ())})
        post2 = sum(len(coll.post.get(t, ())) for t, _w in e)
        ratios.append(rows2 / rows1 if rows1 else 0)
        print(f"| {text} | {rows1} | {post1} | {' '.join(new[:6])} | {rows2} | {post2} "
              f"| {rows2 / rows1 if rows1 else 0:.1f} |")
        words = B.WORD_RE.findall(text)
        lines.append((" OR ".join(words), " OR ".join(words + new)))
    print(f"\nmedian full-second-pass rows ÷ first-pass rows: {statistics.median(ratios):.1f}")
    if not args.latency:
        return
    lib = os.path.join(P.REPO, "build", "lib", "libnutgraf.a")
    exe = os.path.join(work, "latency")
    subprocess.run(["cc", "-O2", "-std=c11", "-I", os.path.join(P.REPO, "include"), "-o", exe,
                    os.path.join(P.BENCH, "latency.c"), lib, "-lsqlite3", "-lstemmer",
                    "-ljansson", "-lm", "-lpthread"], check=True)
    porter = os.path.join(work, "bbc.porter.db")
    if not os.path.exists(porter):
        B.build_porter_db(B.passages_from_index(coll.db), porter)
    qfile = os.path.join(work, "cost.queries")
    with open(qfile, "w") as f:
        for orig, exp in lines:
            f.write(f"{orig}\t{B.to_fts5_or(orig.split(' OR '))}\n")
            f.write(f"{exp}\t{B.to_fts5_or(exp.split(' OR '))}\n")
    out = subprocess.run([exe, "-r", str(args.reps), coll.db, porter, qfile],
                         check=True, capture_output=True, text=True).stdout
    times = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if parts[0] == "sample" and parts[2] == "ng":
            times.setdefault(int(parts[1]), []).append(int(parts[3]))
    print("\n| query | ng_search µs (original OR) | ng_search µs (expanded OR) | (1st + 2nd) ÷ 1st |")
    print("|---|---:|---:|---:|")
    rs = []
    for k, (orig, _exp) in enumerate(lines):
        # latency.c numbers queries from 1: original 2k+1, expanded 2k+2
        a = statistics.median(times[2 * k + 1]) / 1000
        b = statistics.median(times[2 * k + 2]) / 1000
        rs.append((a + b) / a)
        print(f"| {orig} | {a:.0f} | {b:.0f} | {(a + b) / a:.2f} |")
    print(f"\nmedian (first + full second pass) ÷ first pass: {statistics.median(rs):.2f}")


if __name__ == "__main__":
    main()

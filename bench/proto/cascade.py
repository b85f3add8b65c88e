#!/usr/bin/env python3
"""The two-stage cascade (rank_proto.py cascade=R): components, tuning, tests, cost.

Stage 1 is plain passage BM25 (k1, b, headline weight inside the tf, query
stop words) and keeps its exact top R passages; stage 2 re-scores only those
with the context share, proximity, optionally document BM25, and RM3 whose
expanded weights re-score the same R passages (feedback documents from
stage 1, fbsrc=s1, or from stage 2 before RM3, fbsrc=s2).  Only the R
passages are returned, in stage-2 order, then MaxP as relevance.py.

  python3 bench/relevance.py --runs /tmp/runs
  python3 bench/proto/cascade.py --peer-runs /tmp/runs [--tune cran] > out.md

Sections printed (Markdown): the component table (each component added in
turn, at the starting parameters and at the tuned ones, for every R of
--rs); every configuration the coordinate ascent tried (chosen on --tune
alone, the others held out); the final configuration's paired tests against
the best peer of each collection and metric for every R; the stage-2 cost
per query (passages, documents, stems) on the three collections and, with
--bbc, on the BBC news queries of bench/queries.txt.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rank_proto as P  # noqa: E402
import experiments as E  # noqa: E402

R = P.R
NAMES = ["cisi", "med", "cran"]

# Where the ascent starts: RESULTS.md's cran-tuned choice, as a cascade.
START = ("stop=snowball,k1=2.0,b=0.5,ctx=0.25,prox=0.5,prf=rm3,fbd=10,fbt=30,ow=0.7,"
         "fbsrc=s1,cascade=1000")

# Blocks of settings tried jointly, in this order (stop and head stay fixed).
# (A first run with k1 0.9-3.0, fbd 3-20, fbt 10-50, ow 0.5-0.8 ended at
# k1 0.9, fbd 3, fbt 50, ow 0.5, all at the grid's edge; hence these.)
GRID = [
    {"k1": [0.6, 0.75, 0.9, 1.2, 1.5, 2.0, 2.5], "b": [0.3, 0.4, 0.5, 0.6, 0.75]},
    {"ctx": [0.0, 0.1, 0.25, 0.5]},
    {"prox": [0.0, 0.1, 0.2, 0.5, 1.0]},
    {"doc": [0.0, 0.25, 0.5, 1.0]},
    {"prf": ["rm3"], "fbsrc": ["s1", "s2"], "fbd": [2, 3, 5, 10],
     "fbt": [20, 30, 50, 80], "ow": [0.4, 0.5, 0.6, 0.7]},
]


def with_(cfg, **kw):
    return dict(cfg, **kw)


def component_rows(cfg):
    """(label, configuration) for each component added in turn to CFG."""
    base = with_(cfg, ctx=0.0, prox=0.0, doc=0.0, prf="")
    rows = [("stage 1 alone (plain passage BM25)", base)]
    c = with_(base, ctx=cfg["ctx"] or 0.25)
    rows.append((f"+ context share (ctx={c['ctx']})", c))
    c = with_(c, prox=cfg["prox"] or 0.5)
    rows.append((f"+ proximity (prox={c['prox']}) = stage 1+2 without RM3", c))
    for src in ("s1", "s2"):
        rows.append((f"+ RM3, feedback from stage {src[1]} (fbd={cfg['fbd']}, fbt={cfg['fbt']}, "
                     f"ow={cfg['ow']})", with_(c, prf="rm3", fbsrc=src)))
    d = with_(c, prf="rm3", fbsrc=cfg["fbsrc"], doc=cfg["doc"] or 0.5)
    rows.append((f"+ document BM25 (doc={d['doc']}, feedback {cfg['fbsrc']})", d))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", default=os.path.join(P.B.DEFAULT_SHARED, "eval"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--peer-runs", required=True)
    ap.add_argument("--tune", default="cran")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--start", default=START)
    ap.add_argument("--rs", default="100,200,1000", help="the R values reported")
    ap.add_argument("--final", default=None, help="skip the ascent: this configuration")
    ap.add_argument("--bbc", default=None, help="BBC corpus folder: cost on its queries")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="rank_proto.")
    stemmer = P.Stemmer()
    colls = {n: P.Collection(n, os.path.abspath(args.eval_dir), work) for n in NAMES}
    rankers = {n: P.Ranker(colls[n], stemmer) for n in NAMES}
    peers = {}
    for n in NAMES:
        peers[n] = {}
        for tag, label in E.PEERS:
            p = os.path.join(args.peer_runs, f"{n}.{tag}.run")
            if os.path.exists(p):
                peers[n][label] = P.per_query(P.read_run(p), colls[n].qrels)
    best = {n: tuple(max(P.means(pq)[k] for pq in peers[n].values()) for k in (0, 1))
            for n in NAMES}
    rs = [int(x) for x in args.rs.split(",")]
    cache = {}

    def measure(cfg, quiet=False):
        key = P.cfg_text(cfg)
        if key not in cache:
            out = {}
            for n in NAMES:
                pq = P.per_query(rankers[n].run(cfg), colls[n].qrels)
                out[n] = (pq, P.means(pq))
            cache[key] = out
            if not quiet:
                print(row(key, out), flush=True)
        return cache[key]

    def row(label, out):
        cells = [label]
        for n in NAMES:
            cells += [f"{out[n][1][0]:.4f}", f"{out[n][1][1]:.4f}"]
        return "| " + " | ".join(cells) + " |"

    hdr = "| configuration | " + " | ".join(f"{n} {m}" for n in NAMES
                                           for m in ("MAP", "nDCG@10")) + " |"
    sep = "|---" + "|---:" * 6 + "|"
    target = "| target (1.05 × best peer) | " + " | ".join(
        f"{1.05 * best[n][k]:.4f}" for n in NAMES for k in (0, 1)) + " |"
    peer_row = "| best peer | " + " | ".join(
        f"{best[n][k]:.4f}" for n in NAMES for k in (0, 1)) + " |"

    def components(cfg, title):
        for r in rs:
            print(f"\n### {title}, R = {r}\n\n{hdr}\n{sep}\n{peer_row}\n{target}")
            for label, c in component_rows(with_(cfg, cascade=r)):
                print(row(label, measure(c, quiet=True)), flush=True)

    start = P.parse_cfg(args.start)
    print("## Components under the cascade (starting parameters)")
    components(start, "start: " + P.cfg_text(with_(start, cascade=0)))

    if args.final:
        cfg = P.parse_cfg(args.final)
    else:
        print(f"\n## Coordinate ascent on {args.tune} (R = {start['cascade']}), "
              f"every configuration tried\n\n{hdr}\n{sep}\n{peer_row}")
        cfg = dict(start)
        steps = []
        measure(cfg)
        for _rnd in range(args.rounds):
            changed = False
            for block in GRID:
                options = E.combinations(block)
                if "prf" in block:
                    options.append({"prf": ""})
                scored = []
                for opt in options:
                    c = with_(cfg, **opt)
                    m = measure(c)[args.tune][1]
                    scored.append((m[0] + m[1], P.cfg_text(c), opt))
                top = max(scored, key=lambda s: (s[0], s[1]))[2]
                if any(cfg[k] != v for k, v in top.items()):
                    changed = True
                cfg.update(top)
                steps.append(f"round {_rnd + 1}, block {'/'.join(block)}: "
                             + ", ".join(f"{k}={v}" for k, v in top.items()))
            if not changed:
                break
        print("\nThe ascent's path (each block's choice):\n")
        for st in steps:
            print(f"- {st}")
        print(f"\nchosen on {args.tune}: {P.cfg_text(cfg)}")

    print("\n## Components under the cascade (tuned parameters)")
    components(cfg, "tuned: " + P.cfg_text(with_(cfg, cascade=0)))

    print("\n## Paired tests of the final configuration against the best peer")
    for r in rs:
        c = with_(cfg, cascade=r)
        for src in ("s1", "s2"):
            cc = with_(c, fbsrc=src)
            E.report(cc, measure, NAMES, peers, f"R = {r}, feedback {src}")

    print("\n## For comparison: the rest of stage 1 appended after the R (tail=1, not the design)")
    print(f"\n{hdr}\n{sep}\n{peer_row}")
    for r in rs:
        for t in (0, 1):
            c = with_(cfg, cascade=r, tail=t)
            print(row(P.cfg_text(c), measure(c, quiet=True)))

    print("\n## Stage-2 cost per query")
    cost_tables(rankers, cfg, rs)
    if args.bbc:
        inputs = P.B.corpus_inputs(args.bbc)
        bbc = P.Collection("bbc", None, work, inputs=inputs)
        queries = []
        with open(os.path.join(P.BENCH, "queries.txt")) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and not re.search(r'["*]', line):
                    queries.append((str(len(queries) + 1), line))
        bbc.queries = queries
        cost_tables({"bbc": P.Ranker(bbc, stemmer)}, cfg, rs)


COST_KEYS = [
    ("R", "candidates (passages re-scored; positions for proximity)"),
    ("cand_tokens", "tokens of the candidates"),
    ("docs", "distinct documents of the candidates"),
    ("doc_passages", "passages of those documents (ctx / doc BM25 with expanded weights)"),
    ("doc_tokens", "tokens of those documents"),
    ("fb_docs", "feedback documents"),
    ("fb_passages", "passages of the feedback documents (tokenized for tf_D)"),
    ("fb_stems", "distinct stems in them (n_t look-ups for the df filter)"),
    ("df_lazy", "n_t look-ups if the df filter is applied lazily (walk down rm(t))"),
    ("new_stems", "expansion stems not in the query (idf look-ups, re-scoring)"),
]


def cost_tables(rankers, cfg, rs):
    for n, rk in rankers.items():
        print(f"\n### {n} ({rk.c.N} passages, {rk.c.ND} documents, "
              f"{len(rk.c.queries)} queries)\n")
        print("| per query | " + " | ".join(f"R={r} median | R={r} mean | R={r} max"
                                          for r in rs) + " |")
        print("|---" + "|---:" * (3 * len(rs)) + "|")
        stats = {}
        for r in rs:
            c = with_(cfg, cascade=r, prf=cfg["prf"] or "rm3")
            per = []
            for _qid, text in rk.c.queries:
                if R.query_words(text):
                    per.append(rk.run_cascade(text, c)[1])
            stats[r] = per
        for key, label in COST_KEYS:
            cells = []
            for r in rs:
                v = [p.get(key, 0) for p in stats[r]]
                cells += [f"{statistics.median(v):.0f}", f"{statistics.mean(v):.0f}",
                          f"{max(v):.0f}"]
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

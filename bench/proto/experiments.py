#!/usr/bin/env python3
"""Choose ranking settings on ONE collection, report all three.

Coordinate ascent over a fixed grid (GRID below), starting from today's
nutgraf default: each setting in turn takes the value that maximises
MAP + nDCG@10 on the tuning collection (--tune, default cran) alone, the
others held at their current values; rounds repeat until nothing changes.
Every configuration tried is printed with its figures on every collection,
so the held-out collections show what the choice is worth elsewhere.  The
peers' per-query figures come from `relevance.py --runs DIR` (--peer-runs),
and the final configuration is compared with the best peer of each
collection by relevance.py's paired tests.

  python3 bench/relevance.py --runs /tmp/runs
  python3 bench/proto/experiments.py --peer-runs /tmp/runs [--tune cran]
"""

import argparse
import os
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rank_proto as P  # noqa: E402

R = P.R
PEERS = (("fts5-porter", "FTS5 porter"), ("xapian-doc", "Xapian doc"),
         ("xapian-passage", "Xapian passage"))

# The grid, in the order it is visited: blocks of settings, each block's
# combinations tried jointly (so feedback's own settings are chosen with
# feedback on, before feedback itself is kept or dropped).
GRID = [
    {"stop": ["", "lucene", "snowball"]},
    {"k1": [0.9, 1.2, 1.5, 2.0], "b": [0.5, 0.6, 0.75, 0.9]},
    {"head": [1.0, 1.25, 1.5, 2.0]},
    {"bf": ["fts5", "bm25f"]},
    {"ctx": [0.0, 0.1, 0.25, 0.5, 1.0]},
    {"doc": [0.0, 0.25, 0.5, 1.0]},
    {"prox": [0.0, 0.1, 0.2, 0.5]},
    {"prf": ["rm3", "bo1"], "fbd": [5, 10, 20], "fbt": [10, 20, 30], "ow": [0.5, 0.6, 0.7, 0.8]},
    {"fbunit": ["doc", "passage"]},
    {"fbmaxdf": [0.1, 1.0]},
]


def combinations(block):
    keys = list(block)
    out = [{}]
    for k in keys:
        out = [dict(o, **{k: v}) for o in out for v in block[k]]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", default=os.path.join(P.B.DEFAULT_SHARED, "eval"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--peer-runs", required=True)
    ap.add_argument("--tune", default="cran")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--extra", action="append", default=[],
                    help="further configurations to report (k=v,...)")
    ap.add_argument("--final", action="append", default=[],
                    help="skip the search: report and test these configurations")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="rank_proto.")
    stemmer = P.Stemmer()
    names = ["cisi", "med", "cran"]
    colls = {n: P.Collection(n, os.path.abspath(args.eval_dir), work) for n in names}
    rankers = {n: P.Ranker(colls[n], stemmer) for n in names}
    peers = {}
    for n in names:
        peers[n] = {}
        for tag, label in PEERS:
            p = os.path.join(args.peer_runs, f"{n}.{tag}.run")
            if os.path.exists(p):
                peers[n][label] = P.per_query(P.read_run(p), colls[n].qrels)
    best = {}
    for n in names:
        m = {lab: P.means(pq) for lab, pq in peers[n].items()}
        best[n] = (max(v[0] for v in m.values()), max(v[1] for v in m.values()))

    cache = {}

    def measure(cfg):
        key = P.cfg_text(cfg)
        if key not in cache:
            out = {}
            for n in names:
                pq = P.per_query(rankers[n].run(cfg), colls[n].qrels)
                out[n] = (pq, P.means(pq))
            cache[key] = out
            row = [key or "today's default"]
            for n in names:
                mp, nd = out[n][1]
                row += [f"{mp:.4f}", f"{nd:.4f}"]
            print("| " + " | ".join(row) + " |", flush=True)
        return cache[key]

    hdr = ["configuration"] + [f"{n} {m}" for n in names for m in ("MAP", "nDCG@10")]
    print("| " + " | ".join(hdr) + " |")
    print("|---" + "|---:" * (len(hdr) - 1) + "|")
    row = ["best peer"]
    for n in names:
        row += [f"{best[n][0]:.4f}", f"{best[n][1]:.4f}"]
    print("| " + " | ".join(row) + " |")
    cfg = dict(P.DEFAULTS)
    measure(cfg)
    if args.final:
        for text in args.final:
            report(P.parse_cfg(text), measure, names, peers, f"given ({args.tune} tuning)")
        return
    for rnd in range(args.rounds):
        changed = False
        for block in GRID:
            options = combinations(block)
            if "prf" in block:
                options.append({"prf": ""})  # feedback off
            scored = []
            for opt in options:
                c = dict(cfg, **opt)
                m = measure(c)[args.tune][1]
                scored.append((m[0] + m[1], P.cfg_text(c), opt))
            top = max(scored, key=lambda s: (s[0], s[1]))[2]
            if any(cfg[k] != v for k, v in top.items()):
                changed = True
            cfg.update(top)
        if not changed:
            break
    for text in args.extra:
        measure(P.parse_cfg(text))
    report(cfg, measure, names, peers, f"chosen on {args.tune}")


def report(cfg, measure, names, peers, what):
    final = measure(cfg)
    print(f"\n{what}: {P.cfg_text(cfg)}\n")
    print("| collection | metric | chosen | best peer | ratio | peer | randomization p | t-test p |")
    print("|---|---|---:|---:|---:|---|---:|---:|")
    for n in names:
        pq, m = final[n]
        for k, metric in enumerate(("MAP", "nDCG@10")):
            lab = max(peers[n], key=lambda x: P.means(peers[n][x])[k])
            qs = sorted(pq)
            a = [pq[q][k] for q in qs]
            b = [peers[n][lab].get(q, (0.0, 0.0))[k] for q in qs]
            p_rand = R.randomization_test(a, b)
            p_t = R.paired_t_test(a, b)[1]
            pm = P.means(peers[n][lab])[k]
            print(f"| {n} | {metric} | {m[k]:.4f} | {pm:.4f} | {m[k] / pm:.3f} | {lab} "
                  f"| {p_rand:.4f} | {p_t:.4f} |", flush=True)


if __name__ == "__main__":
    main()

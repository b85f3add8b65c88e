#!/usr/bin/env python3
"""Relevance evaluation: nutgraf against peers on classic IR test collections.

For every collection in ../shared/eval (cisi, med, cran: docs/<id>.txt,
queries.tsv, TREC qrels.txt) it reports MAP, nDCG@10, P@10 and R@100, with
trec_eval's definitions, for
  - nutgraf: nutgraf-index on docs/, each query as its words with
    `nutgraf-query --any --format json --limit 1000` (and once more with
    --no-variants); documents ranked by their best passage (first appearance
    in the ranked passages, "MaxP"),
  - a plain FTS5 table with tokenize='porter' holding the SAME passages
    (nutgraf's, or blank-line blocks when nutgraf is not built), ranked by
    bm25 with the query words quoted and OR-ed, MaxP to documents,
  - Xapian (scriptindex --stemmer=english, quest with BM25 and default op OR),
    once with one Xapian document per collection document and once with one
    per passage (MaxP).

Every system gets the same query words: the query text split into runs of
letters and digits, lower-cased (so no word can act as an operator).
Only judged queries (at least one qrels entry with rel > 0) count; a judged
query without results scores 0. A second table compares nutgraf with each
peer query by query (AP and nDCG@10): how many queries it does better and
worse on, and the p-values of two paired two-sided tests of the difference
in means, a randomization (sign-flip) test and Student's t-test. --runs DIR writes TREC run files
(qid Q0 docid rank score tag) for re-checking with other tools, e.g.
bench/trec-map.sh. --self-test checks the metric and test code on
hand-computed examples and exits non-zero on a mismatch.
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys

sys.dont_write_bytecode = True
import benchlib as B  # noqa: E402

COLLECTIONS = ("cisi", "med", "cran")


# ---------------------------------------------------------------------------
# Metrics (trec_eval definitions)
#
# ranked: document ids in rank order, no duplicates. rels: {docid: grade}
# from the qrels of one query; grade > 0 means relevant.


def num_relevant(rels):
    return sum(1 for g in rels.values() if g > 0)


def average_precision(ranked, rels):
    """Sum of the precision at each relevant retrieved document, divided by
    the number of relevant documents (trec_eval 'map')."""
    nrel = num_relevant(rels)
    if nrel == 0:
        return 0.0
    found, total = 0, 0.0
    for i, d in enumerate(ranked, start=1):
        if rels.get(d, 0) > 0:
            found += 1
            total += found / i
    return total / nrel


def precision_at(ranked, rels, k):
    """Relevant in the top k, divided by k (trec_eval 'P_k')."""
    return sum(1 for d in ranked[:k] if rels.get(d, 0) > 0) / k


def recall_at(ranked, rels, k):
    """Relevant in the top k, divided by all relevant (trec_eval 'recall_k')."""
    nrel = num_relevant(rels)
    return sum(1 for d in ranked[:k] if rels.get(d, 0) > 0) / nrel if nrel else 0.0


def ndcg_at(ranked, rels, k):
    """trec_eval 'ndcg_cut_k': gain = relevance grade, discount log2(rank+1),
    normalised by the ideal ordering of all judged relevant documents."""
    dcg = sum(rels.get(d, 0) / math.log2(i + 1)
              for i, d in enumerate(ranked[:k], start=1) if rels.get(d, 0) > 0)
    ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


METRICS = (("MAP", average_precision),
           ("nDCG@10", lambda r, q: ndcg_at(r, q, 10)),
           ("P@10", lambda r, q: precision_at(r, q, 10)),
           ("R@100", lambda r, q: recall_at(r, q, 100)))


def trec_order(hits):
    """[(docid, score)] in trec_eval's order: score descending, ties broken by
    docid descending (it ignores the rank column). For a run whose scores
    fall strictly with rank this is the rank order."""
    return sorted(hits, key=lambda h: (h[1], h[0]), reverse=True)


def per_query(run, qrels):
    """Each metric of each judged query of QRELS: {qid: {metric: value}}.
    RUN maps qid to [(docid, score)], higher score better, evaluated in
    trec_order; a judged query missing from RUN scores 0."""
    judged = sorted(q for q, rels in qrels.items() if num_relevant(rels) > 0)
    out = {}
    for q in judged:
        ranked = [d for d, _s in trec_order(run.get(q, []))]
        out[q] = {name: f(ranked, qrels[q]) for name, f in METRICS}
    return out


def evaluate(run, qrels):
    """Mean of each metric over the judged queries of QRELS (see per_query).
    Returns ({metric: mean}, number of judged queries)."""
    pq = per_query(run, qrels)
    n = len(pq)
    return {name: (sum(v[name] for v in pq.values()) / n if n else float("nan"))
            for name, _f in METRICS}, n


# ---------------------------------------------------------------------------
# Paired significance tests over per-query figures
#
# a, b: one figure per query (the same queries, in the same order) for two
# systems.  Both tests are two-sided: is the mean of a - b different from 0?

PERMUTATIONS = 10000
SEED = 20261201


def randomization_test(a, b, permutations=PERMUTATIONS, seed=SEED):
    """Paired randomization (sign-flip) test: the share of the 2^n ways of
    swapping each query's two figures whose mean difference is at least as
    far from 0 as the observed one.  Exact when 2^n <= PERMUTATIONS; else
    PERMUTATIONS random sign vectors from a fixed seed, p = (hits + 1) /
    (PERMUTATIONS + 1) (so never 0).  Identical figures give p = 1."""
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    if n == 0:
        return 1.0
    observed = abs(sum(d))
    eps = 1e-12 * max(1.0, observed)
    if 2 ** n <= permutations:
        hits = 0
        for mask in range(2 ** n):
            t = sum(-x if mask >> i & 1 else x for i, x in enumerate(d))
            if abs(t) >= observed - eps:
                hits += 1
        return hits / 2 ** n
    rng = random.Random(seed)
    hits = 0
    for _ in range(permutations):
        t = sum(x if rng.random() < 0.5 else -x for x in d)
        if abs(t) >= observed - eps:
            hits += 1
    return (hits + 1) / (permutations + 1)


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a, b, x):
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log(1.0 - x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def paired_t_test(a, b):
    """Student's paired t-test: (t, two-sided p) with n - 1 degrees of
    freedom; p = I_{df/(df+t^2)}(df/2, 1/2).  No difference at all gives
    (0, 1); a constant non-zero difference gives (+-inf, 0)."""
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    if n < 2:
        return 0.0, 1.0
    mean = sum(d) / n
    var = sum((x - mean) ** 2 for x in d) / (n - 1)
    if var <= 0.0:
        return (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
    t = mean / math.sqrt(var / n)
    df = n - 1
    return t, regularized_beta(df / 2.0, 0.5, df / (df + t * t))


def max_passage(hits):
    """MaxP: [(docid, score)] of passages in rank order -> each document at
    its first (best) appearance."""
    seen, out = set(), []
    for d, s in hits:
        if d not in seen:
            seen.add(d)
            out.append((d, s))
    return out


def query_words(text):
    """The words every system is given: runs of letters/digits, lower case."""
    return [w.lower() for w in B.WORD_RE.findall(text)]


# ---------------------------------------------------------------------------
# Self-test on a hand-computed example


def self_test():
    qrels = {
        "1": {"d1": 1, "d2": 0, "d3": 2, "d5": 1},  # 3 relevant, d2 judged non-relevant
        "2": {"d9": 1},                            # 1 relevant, nothing retrieved
        "3": {"d4": 0},                            # no relevant: not judged, ignored
    }
    run = {"1": [("d1", 9.0), ("d2", 8.0), ("d3", 7.0), ("d4", 6.0)],
           "3": [("d4", 1.0)],
           "4": [("d1", 1.0)]}                     # not in qrels: ignored
    ranked1 = ["d1", "d2", "d3", "d4"]
    checks = [
        # AP(q1) = (1/1 + 2/3) / 3 = 1.666667 / 3 = 0.555556
        ("AP q1", average_precision(ranked1, qrels["1"]), 0.555556),
        # P@10(q1) = 2 relevant in top 10 / 10 = 0.2
        ("P@10 q1", precision_at(ranked1, qrels["1"], 10), 0.2),
        # R@100(q1) = 2 retrieved relevant / 3 relevant = 0.666667
        ("R@100 q1", recall_at(ranked1, qrels["1"], 100), 0.666667),
        # DCG@10(q1) = 1/log2(2) + 2/log2(4) = 1 + 1 = 2
        # IDCG@10(q1) = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.630930 + 0.5 = 3.130930
        # nDCG@10(q1) = 2 / 3.130930 = 0.638788
        ("nDCG@10 q1", ndcg_at(ranked1, qrels["1"], 10), 0.638788),
        # nDCG@2(q1) = (1 + 0) / (2/1 + 1/log2(3)) = 1 / 2.630930 = 0.380094
        ("nDCG@2 q1", ndcg_at(ranked1, qrels["1"], 2), 0.380094),
        ("AP q2 (no results)", average_precision([], qrels["2"]), 0.0),
    ]
    means, n = evaluate(run, qrels)
    checks += [
        # judged queries: q1 and q2 (q3 has no relevant document, q4 no qrels)
        ("judged queries", n, 2),
        # MAP = (0.555556 + 0) / 2 = 0.277778
        ("MAP", means["MAP"], 0.277778),
        # nDCG@10 = (0.638788 + 0) / 2 = 0.319394
        ("mean nDCG@10", means["nDCG@10"], 0.319394),
        # P@10 = (0.2 + 0) / 2 = 0.1
        ("mean P@10", means["P@10"], 0.1),
        # R@100 = (0.666667 + 0) / 2 = 0.333333
        ("mean R@100", means["R@100"], 0.333333),
        # MaxP: a document counts at its best passage only
        ("MaxP", max_passage([("a", 3), ("b", 2), ("a", 1), ("c", 0)]),
         [("a", 3), ("b", 2), ("c", 0)]),
        # query words: letters/digits, lower case; each an FTS5 string, OR-ed
        ("query words", query_words("What is AND/OR? 1960's e-mail"),
         ["what", "is", "and", "or", "1960", "s", "e", "mail"]),
        ("FTS5 OR query", B.to_fts5_or(["and", "x"]), '"and" OR "x"'),
        # ties are broken as trec_eval does: equal scores, docid descending
        ("trec order", trec_order([("d1", 1.0), ("d3", 1.0), ("d2", 2.0)]),
         [("d2", 2.0), ("d3", 1.0), ("d1", 1.0)]),
    ]
    # Paired tests.  d = a - b = (0.1, 0.2, 0.1, 0.4): mean 0.2, sample sd
    # sqrt(0.06 / 3) = 0.141421, t = 0.2 / (0.141421 / 2) = 2.828427, df 3;
    # Student's t with 3 df has the closed form
    # F(t) = 1/2 + (x / (1 + t^2/3) + atan(x)) / pi, x = t / sqrt(3),
    # so p = 2 (1 - F(2.828427)) = 0.066276.
    a, b = [0.5, 0.6, 0.7, 0.9], [0.4, 0.4, 0.6, 0.5]
    t, p = paired_t_test(a, b)
    checks += [
        ("t statistic", t, 2.828427),
        ("t-test p (df 3)", p, 0.066276),
        # df 1 is Cauchy: p = 1 - 2 atan(|t|) / pi; d = (1, 3): t = 2 / 1 = 2
        ("t-test p (df 1)", paired_t_test([1, 3], [0, 0])[1], 1 - 2 * math.atan(2) / math.pi),
        ("t-test, no difference", paired_t_test(a, a), (0.0, 1.0)),
        # exact randomization: of the 16 sign flips of d only all-plus and
        # all-minus reach |sum| >= 0.8, so p = 2 / 16
        ("randomization p (exact)", randomization_test(a, b), 0.125),
        ("randomization, no difference", randomization_test(a, a), 1.0),
        # 20 queries (Monte Carlo, fixed seed): a constant gain reaches the
        # observed sum only under the all-plus or all-minus flips (2 of
        # 2^20), so the estimate is (0 + 1) / (10000 + 1), the floor
        ("randomization p (sampled)", randomization_test([1.0] * 20, [0.5] * 20),
         1 / (PERMUTATIONS + 1)),
        ("per-query figures", per_query(run, qrels)["1"]["MAP"], 0.555556),
    ]
    passed = failed = 0
    for name, got, want in checks:
        if isinstance(want, float):
            ok = abs(got - want) < 1e-6
        elif isinstance(want, tuple) and all(isinstance(w, float) for w in want):
            ok = all(abs(g - w) < 1e-9 for g, w in zip(got, want))
        else:
            ok = got == want
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: got {got!r}, expected {want!r}")
    print(f"self-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


# ---------------------------------------------------------------------------
# Collections


def load_queries(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if "\t" in line:
                qid, text = line.split("\t", 1)
                out.append((qid.strip(), text))
    return out


def load_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4:
                qid, _iter, docid, rel = parts[:4]
                g = int(float(rel))
                q = qrels.setdefault(qid, {})
                q[docid] = max(g, q.get(docid, g))
    return qrels


def docid_of(path):
    base = os.path.basename(path)
    return base[:-4] if base.endswith(".txt") else base


# ---------------------------------------------------------------------------
# Systems; each returns ({qid: [(docid, score)]}, failures)


def higher_is_better(hits):
    """Scores oriented so that higher is better (FTS5 bm25 is negative and
    lower-is-better; nutgraf's direction is read off its rank order)."""
    scores = [s for _d, s in hits]
    if len(scores) > 1 and scores[0] < scores[-1]:
        return [(d, -s) for d, s in hits]
    return hits


def parallel_map(fn, items, jobs):
    """[fn(x) for x in items], on JOBS threads (each call runs a process)."""
    if jobs <= 1:
        return [fn(x) for x in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(fn, items))


# The ranking's parts, each alone on top of stage 1 and each taken out of
# the whole (--components): (label, nutgraf-query options, NUTGRAF_RANK).
# Stage 1 is BM25 at the default k1 0.9 / b 0.4 with stop words dropped;
# "BM25 (--rank bm25)" is FTS5's k1 1.2 / b 0.75 with every word kept.
STAGE1 = "ctx=0,prox=0,doc=0,fbd=0"
COMPONENTS = (
    ("BM25 (--rank bm25)", ["--rank=bm25"], ""),
    ("+ stop words dropped (k1 1.2, b 0.75)", [], "k1=1.2,b=0.75," + STAGE1),
    ("stage 1: + k1 0.9, b 0.4", [], STAGE1),
    ("stage 1 + context share alone", [], "prox=0,doc=0,fbd=0"),
    ("stage 1 + proximity alone", [], "ctx=0,doc=0,fbd=0"),
    ("stage 1 + story BM25 alone", [], "ctx=0,prox=0,fbd=0"),
    ("stage 1 + RM3 expansion alone", [], "ctx=0,prox=0,doc=0"),
    ("default, all parts", [], ""),
    ("default --no-expansion", ["--no-expansion"], ""),
    ("default --no-proximity", ["--no-proximity"], ""),
    ("default --no-story-score (no story BM25, no context share)", ["--no-story-score"], ""),
    ("default --keep-stop-words", ["--keep-stop-words"], ""),
)


def run_nutgraf(ng_query, db, queries, limit, extra, jobs, rank_env=None):
    env = dict(os.environ)
    env.pop("NUTGRAF_RANK", None)
    if rank_env:
        env["NUTGRAF_RANK"] = rank_env

    def one(query):
        qid, text = query
        words = query_words(text)
        if not words:
            return qid, None, None
        p = subprocess.run([ng_query, "--index", db, "--any", "--format", "json",
                            "--limit", str(limit)] + extra + words,
                           capture_output=True, text=True, errors="replace", env=env)
        if p.returncode not in (0, 1):
            return qid, None, (qid, p.returncode, p.stderr.strip()[:200])
        hits = []
        for line in p.stdout.splitlines():
            if line.strip():
                obj = json.loads(line)
                hits.append((obj.get("rank", len(hits) + 1), docid_of(obj["path"]),
                             float(obj.get("score", 0.0))))
        hits.sort(key=lambda h: h[0])
        return qid, higher_is_better(max_passage([(d, s) for _r, d, s in hits])), None

    run, failures = {}, []
    for qid, hits, failure in parallel_map(one, queries, jobs):
        if failure:
            failures.append(failure)
        elif hits is not None:
            run[qid] = hits
    return run, failures


def run_porter(db, docid_by_rowid, queries, limit):
    run, failures = {}, []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for qid, text in queries:
            words = query_words(text)
            if not words:
                continue
            try:
                rows = con.execute("SELECT rowid, bm25(p) FROM p WHERE p MATCH ? "
                                   "ORDER BY rank LIMIT ?",
                                   (B.to_fts5_or(words), limit)).fetchall()
            except sqlite3.Error as e:
                failures.append((qid, "sqlite", str(e)))
                continue
            run[qid] = max_passage([(docid_by_rowid[r], -s) for r, s in rows])
    finally:
        con.close()
    return run, failures


def run_xapian(db, queries, limit, jobs):
    def one(query):
        qid, text = query
        words = query_words(text)
        if not words:
            return qid, None, None
        try:
            hits, _n = B.quest(db, " ".join(words), limit, default_op="or")
        except RuntimeError as e:
            return qid, None, (qid, "quest", str(e)[:200])
        return qid, max_passage([(data.get("id", "?"), w) for data, w in hits]), None

    run, failures = {}, []
    for qid, hits, failure in parallel_map(one, queries, jobs):
        if failure:
            failures.append(failure)
        elif hits is not None:
            run[qid] = hits
    return run, failures


def paired_rows(figures, system="nutgraf", metrics=("MAP", "nDCG@10")):
    """Rows of the paired comparison: SYSTEM (a tag) against every other
    system whose tag is not a nutgraf variant, per collection and metric.
    FIGURES: {collection: [(label, tag, per_query figures)]}."""
    rows = []
    for coll, systems in figures.items():
        mine = [pq for _l, tag, pq in systems if tag == system]
        peers = [(l, pq) for l, tag, pq in systems if not tag.startswith("nutgraf")]
        if not mine or not peers:
            continue
        pq = mine[0]
        qs = sorted(pq)
        for metric in metrics:
            mean_of = {l: sum(p[q][metric] for q in qs) / len(qs) for l, p in peers}
            best = max(mean_of.values())
            for label, peer in peers:
                a = [pq[q][metric] for q in qs]
                b = [peer[q][metric] for q in qs]
                ma, mb = sum(a) / len(a), mean_of[label]
                better = sum(1 for x, y in zip(a, b) if x > y)
                worse = sum(1 for x, y in zip(a, b) if x < y)
                name = f"{label} **best**" if mb == best else label
                rows.append([coll, name, metric, B.fmt(ma, 4), B.fmt(mb, 4),
                             B.fmt(ma / mb, 3) if mb else "–", f"{better} / {worse}",
                             B.fmt(randomization_test(a, b), 4),
                             B.fmt(paired_t_test(a, b)[1], 4)])
    return rows


def print_components(figures):
    """The table of the ranking's parts: MAP and nDCG@10 of each configuration
    of COMPONENTS per collection, with its ratio to the best peer."""
    colls = list(figures)
    best = {}
    for coll in colls:
        for metric in ("MAP", "nDCG@10"):
            peers = [pq for _l, tag, pq in figures[coll] if not tag.startswith("nutgraf")]
            best[coll, metric] = max((sum(p[q][metric] for q in p) / len(p) for p in peers if p),
                                     default=float("nan"))
    rows = [["best peer"] + [B.fmt(best[c, m], 4) for c in colls for m in ("MAP", "nDCG@10")],
            ["target (1.05 × best peer)"]
            + [B.fmt(1.05 * best[c, m], 4) for c in colls for m in ("MAP", "nDCG@10")]]
    for i, (label, opts, env) in enumerate(COMPONENTS):
        row = [label + (f" `NUTGRAF_RANK={env}`" if env else "")
               + (f" `{' '.join(opts)}`" if opts else "")]
        for c in colls:
            pq = next((p for _l, tag, p in figures[c] if tag == f"nutgraf-part{i}"), None)
            for m in ("MAP", "nDCG@10"):
                row.append(B.fmt(sum(v[m] for v in pq.values()) / len(pq), 4) if pq else "–")
        rows.append(row)
    print("\n## The ranking's parts, alone and together (MAP, nDCG@10)\n")
    print(B.md_table(["configuration"] + [f"{c} {m}" for c in colls for m in ("MAP", "nDCG@10")],
                     rows, right=range(1, 1 + 2 * len(colls))))
    print("\n- Each row is nutgraf-query with the options or `NUTGRAF_RANK` shown "
          "(nutgraf-query(1), ENVIRONMENT); parameters were chosen on cran alone "
          "(README, Relevance).")


def write_run(path, run, tag):
    with open(path, "w", encoding="utf-8") as f:
        for qid in sorted(run, key=lambda q: (len(q), q)):
            for rank, (docid, score) in enumerate(trec_order(run[qid]), start=1):
                f.write(f"{qid} Q0 {docid} {rank} {score:.12g} {tag}\n")


# ---------------------------------------------------------------------------


def parse_args():
    ap = argparse.ArgumentParser(
        description="Relevance evaluation (MAP, nDCG@10, P@10, R@100) of nutgraf, "
        "an FTS5 porter table and Xapian on ../shared/eval (Markdown on stdout).")
    ap.add_argument("--eval-dir", default=os.path.join(B.DEFAULT_SHARED, "eval"),
                    help="folder holding the collections (default: %(default)s)")
    ap.add_argument("--collections", default=",".join(COLLECTIONS),
                    help="comma-separated collections (default: %(default)s)")
    ap.add_argument("--build", default="build",
                    help="nutgraf build directory, relative to the repo root "
                    "(default: %(default)s)")
    ap.add_argument("--limit", type=int, default=1000,
                    help="passages (or Xapian documents) retrieved per query "
                    "(default: %(default)s)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="queries run at once (default: %(default)s, the CPU count)")
    ap.add_argument("--runs", metavar="DIR", default=None,
                    help="write TREC run files DIR/<collection>.<system>.run")
    ap.add_argument("--self-test", action="store_true",
                    help="check the metric code on a hand-computed example and exit")
    ap.add_argument("--tmpdir", default=None,
                    help="parent of the scratch directory (default: system temp)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory and print its path")
    ap.add_argument("--components", action="store_true",
                    help="also run nutgraf with each part of its ranking alone and "
                    "each taken out (a table of their contributions)")
    return ap.parse_args()


def main():
    args = parse_args()
    if args.self_test:
        sys.exit(self_test())
    eval_dir = os.path.abspath(args.eval_dir)
    if not os.path.isdir(eval_dir):
        B.skip(f"test collections {eval_dir} not found (../shared is absent?)")
    names = [c for c in args.collections.split(",") if c]
    present = [c for c in names if os.path.isdir(os.path.join(eval_dir, c, "docs"))]
    if not present:
        B.skip(f"none of {', '.join(names)} found in {eval_dir}")
    ng_index, ng_query = B.nutgraf_binaries(args.build)
    if not (ng_index and ng_query):
        ng_index = ng_query = None
    have_xapian = B.which("scriptindex") is not None and B.which("quest") is not None
    if args.runs:
        os.makedirs(args.runs, exist_ok=True)

    print("# nutgraf relevance evaluation\n")
    print(B.machine_header(ng_index, B.PEER_VERSIONS[:1]) + "\n")
    if not ng_query:
        print(f"- Not measured: nutgraf (not built in {B.build_dir(args.build)})")
    if not have_xapian:
        print("- Not measured: Xapian (run bench/setup)")
    for c in names:
        if c not in present:
            print(f"- Skipped collection {c}: not found in {eval_dir}")

    tmp = B.make_tmpdir(args.tmpdir, "relevance")
    rows, notes = [], []
    figures = {}  # collection -> [(label, tag, per-query figures)]
    try:
        for coll in present:
            cdir = os.path.join(eval_dir, coll)
            queries = load_queries(os.path.join(cdir, "queries.tsv"))
            qrels = load_qrels(os.path.join(cdir, "qrels.txt"))
            docs = os.path.join(cdir, "docs")
            B.progress(f"{coll}: preparing indexes")
            passages, note, ng_db = B.get_passages(ng_index, [docs], tmp, coll)
            notes.append(f"{coll}: {len(passages)} passages; {note}.")
            docid_by_rowid = {r: docid_of(p) for r, p, _t in passages}
            porter_db = os.path.join(tmp, f"{coll}.porter.db")
            B.build_porter_db(passages, porter_db)

            systems = []
            if ng_query and ng_db:
                systems.append(("nutgraf (MaxP)", "nutgraf",
                                lambda: run_nutgraf(ng_query, ng_db, queries, args.limit, [],
                                                    args.jobs)))
                systems.append(("nutgraf --no-variants (MaxP)", "nutgraf-novariants",
                                lambda: run_nutgraf(ng_query, ng_db, queries, args.limit,
                                                    ["--no-variants"], args.jobs)))
            systems.append(("FTS5 porter bm25 (MaxP)", "fts5-porter",
                            lambda: run_porter(porter_db, docid_by_rowid, queries, args.limit)))
            if have_xapian:
                script = os.path.join(tmp, "xapian.script")
                B.xapian_script(script, store_text=False)
                by_doc = {}
                for _r, p, t in passages:
                    by_doc.setdefault(docid_of(p), []).append(t)
                for level, records in (
                        ("doc", [(d, "\n".join(ts)) for d, ts in by_doc.items()]),
                        ("passage", [(docid_of(p), t) for _r, p, t in passages])):
                    inp = os.path.join(tmp, f"{coll}.xapian-{level}.in")
                    B.write_xapian_input(records, inp)
                    xdb = os.path.join(tmp, f"{coll}.xapian-{level}")
                    subprocess.run(B.scriptindex_cmd(xdb, script, inp), check=True,
                                   stdout=subprocess.DEVNULL)
                    label = ("Xapian BM25 (document)" if level == "doc"
                             else "Xapian BM25 (passage, MaxP)")
                    systems.append((label, f"xapian-{level}",
                                    lambda xdb=xdb: run_xapian(xdb, queries, args.limit,
                                                               args.jobs)))

            if ng_query and ng_db and args.components:
                for i, (label, opts, env) in enumerate(COMPONENTS):
                    systems.append((f"nutgraf: {label}", f"nutgraf-part{i}",
                                    lambda opts=opts, env=env: run_nutgraf(
                                        ng_query, ng_db, queries, args.limit, opts, args.jobs,
                                        env)))
            for label, tag, fn in systems:
                B.progress(f"{coll}: running {len(queries)} queries on {label}")
                run, failures = fn()
                figures.setdefault(coll, []).append((label, tag, per_query(run, qrels)))
                means, n = evaluate(run, qrels)
                judged = [q for q, r in qrels.items() if num_relevant(r) > 0]
                empty = sum(1 for q in judged if not run.get(q))
                rows.append([coll, label] + [B.fmt(means[m], 4) for m, _f in METRICS]
                            + [n, empty, len(failures)])
                if failures:
                    notes.append(f"{coll} / {label}: {len(failures)} queries failed, e.g. "
                                 f"qid {failures[0][0]}: {failures[0][1]} {failures[0][2]}")
                if args.runs:
                    write_run(os.path.join(args.runs, f"{coll}.{tag}.run"), run, tag)
    finally:
        if args.keep:
            B.progress(f"scratch kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n## Ranking quality (trec_eval definitions, top {args.limit} per query)\n")
    print(B.md_table(["collection", "system"] + [m for m, _f in METRICS]
                     + ["judged queries", "no results", "failed"], rows,
                     right=range(2, 2 + len(METRICS) + 3)))
    print()
    for n in notes:
        print(f"- {n}")
    print("- Every system gets the query's words (letters/digits, lower-cased): nutgraf "
          "`nutgraf-query --any --format json --limit N WORD...`; FTS5 `\"w1\" OR \"w2\" ...` "
          "ORDER BY bm25; Xapian `quest -o or`. MaxP: a document is ranked at its best "
          "passage. Means over judged queries; a query without results scores 0.")
    if args.runs:
        print(f"- TREC run files written to `{args.runs}` "
              "(check e.g. with `sh bench/trec-map.sh QRELS RUN`).")
    if args.components:
        print_components(figures)
    paired = paired_rows(figures)
    if paired:
        print("\n## nutgraf against each peer, query by query\n")
        print(B.md_table(["collection", "peer", "metric", "nutgraf", "peer", "nutgraf ÷ peer",
                          "queries better / worse", "randomization p", "t-test p"], paired,
                         right=range(3, 9)))
        print(f"\n- nutgraf = `nutgraf (MaxP)`; **best** marks the peer with the highest mean "
              "of that metric on the collection. Both tests are paired over the judged queries "
              f"and two-sided: a randomization (sign-flip) test with {PERMUTATIONS} random "
              f"flips from seed {SEED} (exact over all 2^n flips when 2^n <= {PERMUTATIONS}), "
              "and Student's paired t-test. p < 0.05: the difference in means is unlikely "
              "to be chance.")


if __name__ == "__main__":
    main()

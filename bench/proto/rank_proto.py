#!/usr/bin/env python3
"""Ranking prototype: nutgraf's passages and stems, other scoring formulas.

A research tool for choosing nutgraf's ranking, not part of the product.
For each collection of ../shared/eval it builds a nutgraf index of docs/
(build/indexer/nutgraf-index), reads back every stored token instance with
bench/proto/dump_tokens.c (fts5vocab 'instance' through libnutgraf, so the
tokens, stems, columns and offsets are exactly FTS5's), the column sizes
from passage_docsize, and stems the query words with libstemmer's English
stemmer (the library nutgraf links; checked against `nutgraf-query
--explain` with --check-stems).  It then ranks passages in Python with a
configurable formula, takes the top --limit passages, ranks documents at
their best passage (MaxP) exactly as bench/relevance.py does, and scores
the run with relevance.py's metric code.

Nothing from ../shared is copied: the collections are read in place and
the scratch indexes live in --work (a temporary directory by default).

Usage:
  python3 bench/proto/rank_proto.py --validate      # prototype vs nutgraf-query
  python3 bench/proto/rank_proto.py --experiments   # the configuration table
  python3 bench/proto/rank_proto.py --config 'k1=1.2,b=0.75,head=1.25,ctx=0.25'
"""

import argparse
import ctypes
import ctypes.util
import json
import math
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import relevance as R  # noqa: E402
import benchlib as B  # noqa: E402


# ---------------------------------------------------------------------------
# Stemming: the same Snowball English stemmer nutgraf links.


class Stemmer:
    def __init__(self):
        name = ctypes.util.find_library("stemmer") or "libstemmer.so.0d"
        lib = ctypes.CDLL(name)
        lib.sb_stemmer_new.restype = ctypes.c_void_p
        lib.sb_stemmer_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        lib.sb_stemmer_stem.restype = ctypes.c_void_p
        lib.sb_stemmer_stem.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.sb_stemmer_length.restype = ctypes.c_int
        lib.sb_stemmer_length.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.st = lib.sb_stemmer_new(b"english", b"UTF_8")
        self.cache = {}

    def stem(self, word):
        s = self.cache.get(word)
        if s is None:
            raw = word.encode("utf-8")
            p = self.lib.sb_stemmer_stem(self.st, raw, len(raw))
            n = self.lib.sb_stemmer_length(self.st)
            s = ctypes.string_at(p, n).decode("utf-8")
            self.cache[word] = s
        return s


# ---------------------------------------------------------------------------
# Standard English stop lists for the query side (never the index):
# Lucene's EnglishAnalyzer / StopAnalyzer set (33 words) and Snowball's
# English stop list (snowballstem.org/algorithms/english/stop.txt, the one
# PostgreSQL ships as english.stop; 127 words).  Neither was edited.

LUCENE_STOP = set("""a an and are as at be but by for if in into is it no not of on or
such that the their then there these they this to was will with""".split())
SNOWBALL_STOP = set("""i me my myself we our ours ourselves you your yours yourself
yourselves he him his himself she her hers herself it its itself they them their theirs
themselves what which who whom this that these those am is are was were be been being
have has had having do does did doing a an the and but if or because as until while of
at by for with about against between into through during before after above below to
from up down in out on off over under again further then once here there when where why
how all any both each few more most other some such no nor not only own same so than
too very s t can will just don should now""".split())
STOP_LISTS = {"": set(), "lucene": LUCENE_STOP, "snowball": SNOWBALL_STOP,
              "both": LUCENE_STOP | SNOWBALL_STOP}


# ---------------------------------------------------------------------------
# A collection, as nutgraf indexed it


def sqlite_varints(blob):
    """FTS5's docsize blob: SQLite varints (big-endian 7-bit groups)."""
    out, i = [], 0
    while i < len(blob):
        v = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                v = (v << 8) | byte
                break
            v = (v << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(v)
    return out


def dumper(work):
    exe = os.path.join(work, "dump_tokens")
    if not os.path.exists(exe):
        lib = os.path.join(REPO, "build", "lib", "libnutgraf.a")
        cmd = ["cc", "-O2", "-std=c11", "-I", os.path.join(REPO, "include"),
               "-I", os.path.join(REPO, "lib"), "-o", exe,
               os.path.join(HERE, "dump_tokens.c"), lib,
               "-lsqlite3", "-lstemmer", "-ljansson", "-lm", "-lpthread"]
        subprocess.run(cmd, check=True)
    return exe


class Collection:
    def __init__(self, name, eval_dir, work, inputs=None):
        """A test collection EVAL_DIR/NAME, or (INPUTS: folders) a corpus
        without queries."""
        self.name = name
        if inputs is None:
            cdir = os.path.join(eval_dir, name)
            self.queries = R.load_queries(os.path.join(cdir, "queries.tsv"))
            self.qrels = R.load_qrels(os.path.join(cdir, "qrels.txt"))
            inputs = [os.path.join(cdir, "docs")]
        else:
            self.queries, self.qrels = [], {}
        self.db = os.path.join(work, f"{name}.nutgraf")
        if not os.path.exists(self.db):
            subprocess.run([os.path.join(REPO, "build", "indexer", "nutgraf-index"),
                            "--quiet", "-i", self.db] + list(inputs), check=True)
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        path_of = dict(con.execute("SELECT id, path FROM doc"))
        has_docsize = con.execute("SELECT 1 FROM sqlite_master WHERE name = "
                                  "'passage_docsize'").fetchone()
        if has_docsize:  # schema 1: FTS5's column sizes
            rows = con.execute("SELECT id, sz FROM passage_docsize ORDER BY id").fetchall()
        else:  # schema 2 (columnsize = 0): counted from the instances below
            rows = [(r, None) for (r,) in
                    con.execute("SELECT id FROM passage_content ORDER BY id")]
        con.close()
        self.rowids = [r for r, _s in rows]
        self.index_of = {r: i for i, r in enumerate(self.rowids)}
        self.docid = [R.docid_of(path_of[r >> 20]) for r in self.rowids]
        sizes = [sqlite_varints(s) if s is not None else [0, 0] for _r, s in rows]
        self.len_body = [s[0] for s in sizes]
        self.len_head = [s[1] for s in sizes]
        self.N = len(self.rowids)
        offsets = None if has_docsize else [(set(), set()) for _ in range(self.N)]
        # Token instances: per passage, term -> [body count, head count],
        # and term -> positions [(col, offset)].
        self.tf = [dict() for _ in range(self.N)]
        self.pos = [dict() for _ in range(self.N)]
        out = subprocess.run([dumper(work), self.db], check=True, capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            rowid, col, off, term = line.split("\t")
            i = self.index_of[int(rowid)]
            col = int(col)
            c = self.tf[i].get(term)
            if c is None:
                c = self.tf[i][term] = [0, 0]
                self.pos[i][term] = []
            c[col] += 1
            self.pos[i][term].append((col, int(off)))
            if offsets is not None:
                offsets[i][col].add(int(off))
        if offsets is not None:
            # a column's size = its non-colocated tokens = distinct offsets
            # (a colocated token shares the offset of the part it sits on)
            self.len_body = [len(o[0]) for o in offsets]
            self.len_head = [len(o[1]) for o in offsets]
            del offsets
        for i in range(self.N):
            for t in self.pos[i]:
                self.pos[i][t].sort()
        # Postings and document frequencies (passages).
        self.post = {}
        for i, tfs in enumerate(self.tf):
            for t, c in tfs.items():
                self.post.setdefault(t, []).append((i, c[0], c[1]))
        self.total_len = sum(self.len_body) + sum(self.len_head)
        self.avgdl = self.total_len / self.N
        nb = sum(1 for x in self.len_body if x > 0) or 1
        nh = sum(1 for x in self.len_head if x > 0) or 1
        self.avg_body = sum(self.len_body) / nb
        self.avg_head = sum(self.len_head) / nh
        self.avg_body_all = sum(self.len_body) / self.N
        self.avg_head_all = sum(self.len_head) / self.N
        # Documents: their passages, term counts over all passages, length.
        self.docs = []
        self.doc_index = {}
        self.passages_of = []
        self.doc_of = []
        for i, d in enumerate(self.docid):
            key = self.rowids[i] >> 20  # nutgraf's document id (names may repeat)
            k = self.doc_index.get(key)
            if k is None:
                k = self.doc_index[key] = len(self.docs)
                self.docs.append(d)
                self.passages_of.append([])
            self.passages_of[k].append(i)
            self.doc_of.append(k)
        self.ND = len(self.docs)
        self.dtf = [dict() for _ in range(self.ND)]
        self.dlen = [0] * self.ND
        for i, tfs in enumerate(self.tf):
            k = self.doc_of[i]
            self.dlen[k] += self.len_body[i] + self.len_head[i]
            dt = self.dtf[k]
            for t, c in tfs.items():
                dt[t] = dt.get(t, 0) + c[0] + c[1]
        self.dpost = {}
        for k, tfs in enumerate(self.dtf):
            for t, c in tfs.items():
                self.dpost.setdefault(t, []).append((k, c))
        self.avg_dlen = sum(self.dlen) / self.ND
        self.cf = {}
        for t, ps in self.dpost.items():
            self.cf[t] = sum(c for _k, c in ps)
        self.judged = sorted(q for q, r in self.qrels.items() if R.num_relevant(r) > 0)


def fts5_idf(N, n):
    idf = math.log((N - n + 0.5) / (n + 0.5))
    return idf if idf > 1e-6 else 1e-6


# ---------------------------------------------------------------------------
# The configurable ranker
#
# cfg keys (defaults = today's nutgraf default):
#   k1, b         passage BM25 (FTS5 form: one length, all columns)
#   head          headline column weight (FTS5 column weight)
#   bf            'fts5' (one length, FTS5) or 'bm25f' (per-field length
#                 normalisation: tf_f / (1 - b_f + b_f len_f / avg_f),
#                 weighted sum, then saturation)
#   bh            b of the headline field (bm25f), default = b
#   ctx           today's context share weight (sum of idf of phrases in
#                 the document's other passages)
#   doc           weight of document-level BM25 (whole document as one
#                 text) added to every passage of the document
#   dk1, db       k1, b of the document-level BM25
#   stop          '' | 'lucene' | 'snowball' | 'both': query-side stop words
#   prox          weight of the Büttcher et al. proximity term (0 = off)
#   proxk1        k1 of the proximity saturation (default = k1)
#   prf           '' | 'rm3' | 'bo1'
#   fbd, fbt, ow  feedback docs, feedback terms, original query weight
#   fbunit        'doc' (top documents by the first pass, whole text) or
#                 'passage' (top passages' own text)
#   rerank        0 = second pass over the whole collection; N = only the
#                 first pass's top N passages are re-scored
#   limit         passages retrieved (default 1000, as relevance.py)
#   cascade       0 = the formulas above over the whole collection; R > 0 =
#                 the two-stage cascade (Ranker.run_cascade): stage 1 plain
#                 passage BM25 (k1, b, head; stop words) picks the exact top
#                 R passages, stage 2 re-scores only those with ctx, prox,
#                 doc and RM3; only those R passages are returned
#   fbsrc         cascade feedback documents: 's1' = top fbd distinct
#                 documents of stage 1, 's2' = of stage 2 before RM3
#   didf          idf of the document BM25: 'doc' (document frequencies) or
#                 'passage' (the passage idf, which nutgraf's postings hold)
#   s1k1, s1b     cascade only: stage 1's own k1, b (default: k1, b)
#   tail          cascade only: 1 = append the rest of stage 1's top LIMIT
#                 after the R re-scored passages (not the shipped design)

DEFAULTS = dict(k1=1.2, b=0.75, head=1.25, bf="fts5", bh=None, ctx=0.25, doc=0.0,
                dk1=1.2, db=0.75, stop="", prox=0.0, proxk1=None, prf="", fbd=10, fbt=10,
                ow=0.5, fbunit="doc", rerank=0, limit=1000, fbmaxdf=0.1, proxwin=0,
                maxp="max", cascade=0, fbsrc="s1", tail=0, didf="doc", s1k1=None, s1b=None)


def parse_cfg(text):
    cfg = dict(DEFAULTS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        k, v = part.split("=", 1)
        if k not in DEFAULTS:
            raise SystemExit(f"unknown setting {k}")
        d = DEFAULTS[k]
        if isinstance(d, str):
            cfg[k] = v
        elif isinstance(d, int) and not isinstance(d, bool) and k not in ("ow",):
            cfg[k] = int(v)
        else:
            cfg[k] = float(v) if v != "None" else None
    return cfg


def cfg_text(cfg):
    return ",".join(f"{k}={cfg[k]}" for k in DEFAULTS if cfg[k] != DEFAULTS[k])


class Ranker:
    def __init__(self, coll, stemmer):
        self.c = coll
        self.stemmer = stemmer
        self.idf_cache = {}
        self.didf_cache = {}

    def idf(self, t):
        v = self.idf_cache.get(t)
        if v is None:
            v = self.idf_cache[t] = fts5_idf(self.c.N, len(self.c.post.get(t, ())))
        return v

    def didf(self, t):
        v = self.didf_cache.get(t)
        if v is None:
            v = self.didf_cache[t] = fts5_idf(self.c.ND, len(self.c.dpost.get(t, ())))
        return v

    def query_terms(self, text, cfg):
        """[(stem, weight)] in query order, duplicates kept as separate
        phrases (nutgraf keeps them), stop words dropped when asked."""
        words = R.query_words(text)
        stop = STOP_LISTS[cfg["stop"]]
        kept = [w for w in words if w not in stop]
        if not kept:
            kept = words
        # nutgraf's parser keeps the first NG_MAX_QUERY_TERMS (256) terms
        return [self.stemmer.stem(w) for w in kept[:256]]

    # -- passage scores ----------------------------------------------------

    def passage_scores(self, terms, cfg, only=None):
        """{passage: score} of the BM25 part (weighted terms: [(t, w)])."""
        c = self.c
        k1, b, head = cfg["k1"], cfg["b"], cfg["head"]
        bh = cfg["bh"] if cfg["bh"] is not None else b
        scores = {}
        for t, w in terms:
            ps = c.post.get(t)
            if not ps:
                continue
            idf = self.idf(t) * w
            for i, tb, th in ps:
                if only is not None and i not in only:
                    continue
                if cfg["bf"] == "fts5":
                    freq = tb + head * th
                    dl = c.len_body[i] + c.len_head[i]
                    s = idf * freq * (k1 + 1) / (freq + k1 * (1 - b + b * dl / c.avgdl))
                else:  # bm25f, per-field normalisation
                    f = 0.0
                    if tb:
                        f += tb / (1 - b + b * c.len_body[i] / c.avg_body)
                    if th:
                        f += head * th / (1 - bh + bh * c.len_head[i] / c.avg_head)
                    s = idf * f * (k1 + 1) / (f + k1)
                scores[i] = scores.get(i, 0.0) + s
        return scores

    def context_share(self, terms, scores):
        """Today's nutgraf context: for each passage, the idf of every
        phrase present in each OTHER passage of its document."""
        c = self.c
        per_passage = {}
        for t, w in terms:
            ps = c.post.get(t)
            if not ps:
                continue
            idf = self.idf(t) * w
            for i, _tb, _th in ps:
                per_passage[i] = per_passage.get(i, 0.0) + idf
        per_doc = {}
        for i, v in per_passage.items():
            k = c.doc_of[i]
            per_doc[k] = per_doc.get(k, 0.0) + v
        return {i: per_doc[c.doc_of[i]] - per_passage.get(i, 0.0) for i in scores}

    def doc_scores(self, terms, cfg):
        c = self.c
        k1, b = cfg["dk1"], cfg["db"]
        out = {}
        for t, w in terms:
            ps = c.dpost.get(t)
            if not ps:
                continue
            idf = (self.didf(t) if cfg["didf"] == "doc" else self.idf(t)) * w
            for k, tf in ps:
                out[k] = out.get(k, 0.0) + idf * tf * (k1 + 1) / (
                    tf + k1 * (1 - b + b * c.dlen[k] / c.avg_dlen))
        return out

    def proximity(self, terms, cfg, cands):
        """Büttcher, Clarke & Lushman (2006): over each column's sequence of
        query-term occurrences, each pair of neighbouring occurrences of two
        different terms at distance d adds idf(other)/d^2 to both terms'
        accumulators; score += sum_t min(1, idf_t) acc_t (k1+1)/(acc_t + K)
        with BM25's K for the passage.  proxwin > 0 ignores d > proxwin."""
        c = self.c
        k1 = cfg["proxk1"] if cfg["proxk1"] is not None else cfg["k1"]
        b = cfg["b"]
        win = cfg["proxwin"]
        qset = {}
        for t, w in terms:
            qset[t] = qset.get(t, 0.0) + w
        out = {}
        for i in cands:
            pos = c.pos[i]
            occ = []
            for t in qset:
                for col, off in pos.get(t, ()):
                    occ.append((col, off, t))
            if len(occ) < 2:
                continue
            occ.sort()
            acc = {}
            for (c1, o1, t1), (c2, o2, t2) in zip(occ, occ[1:]):
                if c1 != c2 or t1 == t2 or o2 == o1:
                    continue
                d = o2 - o1
                if win and d > win:
                    continue
                acc[t1] = acc.get(t1, 0.0) + self.idf(t2) / (d * d)
                acc[t2] = acc.get(t2, 0.0) + self.idf(t1) / (d * d)
            if not acc:
                continue
            dl = c.len_body[i] + c.len_head[i]
            K = k1 * (1 - b + b * dl / c.avgdl)
            out[i] = sum(min(1.0, self.idf(t)) * qset[t] * a * (k1 + 1) / (a + K)
                         for t, a in acc.items())
        return out

    def total_scores(self, terms, cfg, only=None, prox_terms=None):
        """Passage scores of weighted TERMS; proximity is measured on
        PROX_TERMS (the original query's terms), default TERMS."""
        c = self.c
        scores = self.passage_scores(terms, cfg, only)
        if cfg["prox"]:
            pt = prox_terms if prox_terms is not None else terms
            for i, v in self.proximity(pt, cfg, scores).items():
                scores[i] += cfg["prox"] * v
        if cfg["ctx"]:
            # nutgraf: only when the others' share exceeds the passage's own
            for i, v in self.context_share(terms, scores).items():
                if v > 0:
                    scores[i] += cfg["ctx"] * v
        if cfg["doc"]:
            ds = self.doc_scores(terms, cfg)
            for i in scores:
                scores[i] += cfg["doc"] * ds.get(c.doc_of[i], 0.0)
        return scores

    def top(self, scores, limit):
        """Top LIMIT passages: score descending, ties in rowid order."""
        items = sorted(scores.items(), key=lambda kv: (-kv[1], self.c.rowids[kv[0]]))
        return items[:limit]

    # -- pseudo-relevance feedback ----------------------------------------

    def feedback_units(self, ranked, cfg):
        """The first pass's feedback texts: [(term counts, length, score)]."""
        c = self.c
        units = []
        if cfg["fbunit"] == "passage":
            for i, s in ranked[:cfg["fbd"]]:
                tf = {t: v[0] + v[1] for t, v in c.tf[i].items()}
                units.append((tf, c.len_body[i] + c.len_head[i], s))
        else:
            seen = set()
            for i, s in ranked:
                k = c.doc_of[i]
                if k in seen:
                    continue
                seen.add(k)
                units.append((c.dtf[k], c.dlen[k], s))
                if len(units) == cfg["fbd"]:
                    break
        return units

    def expand(self, qterms, ranked, cfg):
        """Weighted query [(t, w)] after RM3 or Bo1 over the first pass."""
        c = self.c
        units = self.feedback_units(ranked, cfg)
        orig = {}
        for t in qterms:
            orig[t] = orig.get(t, 0.0) + 1.0
        nq = len(qterms)
        if not units:
            return list(orig.items())
        stop = {self.stemmer.stem(w) for w in SNOWBALL_STOP}
        maxdf = cfg["fbmaxdf"] * c.N

        def usable(t):
            return (t not in stop and len(t) > 1 and not t.isdigit()
                    and len(c.post.get(t, ())) <= maxdf)

        if cfg["prf"] == "rm3":
            # Lavrenko & Croft RM1 as Anserini's RM3: P(w|D) = tf/|D|,
            # weighted by the first-pass score; top fbt terms, L1-normalised,
            # interpolated with the L1-normalised original query.
            rm = {}
            for tf, length, s in units:
                if length <= 0:
                    continue
                for t, n in tf.items():
                    if usable(t):
                        rm[t] = rm.get(t, 0.0) + s * n / length
            top = sorted(rm.items(), key=lambda kv: (-kv[1], kv[0]))[:cfg["fbt"]]
            z = sum(v for _t, v in top) or 1.0
            ow = cfg["ow"]
            new = {t: ow * w / nq for t, w in orig.items()}
            for t, v in top:
                new[t] = new.get(t, 0.0) + (1 - ow) * v / z
            # Scale so that an original term alone keeps weight 1.
            return [(t, w * nq / ow) for t, w in new.items()]
        # Bo1 (Amati): w(t) = tfx log2((1+Pn)/Pn) + log2(1+Pn), Pn = F/N;
        # qtw = qtf/max qtf + beta w(t)/max w, beta = 1 - ow scaled.
        tfx = {}
        for tf, _length, _s in units:
            for t, n in tf.items():
                if usable(t) or t in orig:
                    tfx[t] = tfx.get(t, 0) + n
        bo = {}
        for t, x in tfx.items():
            pn = c.cf.get(t, 0) / c.ND
            if pn <= 0:
                continue
            bo[t] = x * math.log2((1 + pn) / pn) + math.log2(1 + pn)
        cand = sorted(((t, v) for t, v in bo.items() if t not in orig),
                      key=lambda kv: (-kv[1], kv[0]))[:cfg["fbt"]]
        wmax = max([v for _t, v in cand] + [bo.get(t, 0) for t in orig] + [1e-9])
        qmax = max(orig.values())
        beta = (1 - cfg["ow"]) / cfg["ow"]
        new = {t: w / qmax + beta * bo.get(t, 0) / wmax for t, w in orig.items()}
        for t, v in cand:
            new[t] = new.get(t, 0.0) + beta * v / wmax
        return list(new.items())

    # -- a query ------------------------------------------------------------

    def run_query(self, text, cfg):
        if cfg["cascade"]:
            return self.run_cascade(text, cfg)[0]
        qterms = self.query_terms(text, cfg)
        terms = [(t, 1.0) for t in qterms]
        scores = self.total_scores(terms, cfg)
        ranked = self.top(scores, cfg["limit"])
        if cfg["prf"]:
            eterms = self.expand(qterms, ranked, cfg)
            only = None
            if cfg["rerank"]:
                only = {i for i, _s in ranked[:cfg["rerank"]]}
            scores = self.total_scores(eterms, cfg, only, terms)
            if only is not None:
                # re-scored candidates first, the rest of the first pass after
                floor = min(scores.values()) if scores else 0.0
                rest = [(i, s) for i, s in ranked if i not in only]
                ranked = self.top(scores, cfg["limit"])
                lowest = rest[0][1] if rest else 0.0
                ranked += [(i, floor - 1 - (lowest - s)) for i, s in rest]
                ranked = ranked[:cfg["limit"]]
            else:
                ranked = self.top(scores, cfg["limit"])
        c = self.c
        if cfg["maxp"] == "max":
            return R.max_passage([(c.docid[i], s) for i, s in ranked])
        raise SystemExit("maxp: only 'max'")

    # -- the two-stage cascade ----------------------------------------------

    def stage1(self, text, cfg):
        """(query stems, exact top R passages of plain passage BM25), cached
        per query and BM25 setting (stage 1 uses no ctx, prox, doc)."""
        k1 = cfg["s1k1"] if cfg["s1k1"] is not None else cfg["k1"]
        b = cfg["s1b"] if cfg["s1b"] is not None else cfg["b"]
        key = (text, k1, b, cfg["head"], cfg["stop"], cfg["cascade"],
               cfg["limit"] if cfg["tail"] else 0)
        cache = self.__dict__.setdefault("s1_cache", {})
        v = cache.get(key)
        if v is None:
            qterms = self.query_terms(text, cfg)
            s1 = dict(cfg, bf="fts5", k1=k1, b=b)
            scores = self.passage_scores([(t, 1.0) for t in qterms], s1)
            n = max(cfg["cascade"], cfg["limit"]) if cfg["tail"] else cfg["cascade"]
            v = cache[key] = (qterms, self.top(scores, n))
        return v

    def stage2_scores(self, terms, cfg, cands, prox_terms):
        """Stage-2 score of each candidate passage (a set), weights TERMS
        [(stem, w)]: passage BM25 + ctx * context share (when > 0) + prox *
        proximity on PROX_TERMS + doc * document BM25."""
        c = self.c
        scores = self.passage_scores(terms, cfg, cands)
        for i in cands:  # every candidate holds a query stem: never missing
            scores.setdefault(i, 0.0)
        if cfg["prox"]:
            pkey = (tuple(prox_terms), cfg["k1"], cfg["b"], cfg["proxk1"], cfg["proxwin"])
            pcache = self.__dict__.setdefault("prox_cache", {})
            pv = pcache.get(pkey)
            if pv is None or not cands <= pv[0]:
                pv = pcache[pkey] = (set(cands), self.proximity(prox_terms, cfg, cands))
            for i, v in pv[1].items():
                if i in cands:
                    scores[i] += cfg["prox"] * v
        if cfg["ctx"]:
            for i, v in self.context_share(terms, scores).items():
                if v > 0:
                    scores[i] += cfg["ctx"] * v
        if cfg["doc"]:
            ds = self.doc_scores(terms, cfg)
            for i in scores:
                scores[i] += cfg["doc"] * ds.get(c.doc_of[i], 0.0)
        return scores

    def run_cascade(self, text, cfg):
        """The cascade: returns (MaxP run of the query, cost counts)."""
        c = self.c
        qterms, ranked1 = self.stage1(text, cfg)
        R_ = cfg["cascade"]
        head1, rest1 = ranked1[:R_], ranked1[R_:]
        cands = {i for i, _s in head1}
        terms = [(t, 1.0) for t in qterms]
        cost = {"R": len(cands)}
        if not cands:
            return [], cost
        s2 = self.stage2_scores(terms, cfg, cands, terms)
        ranked2 = self.top(s2, len(cands))
        if cfg["prf"]:
            src = head1 if cfg["fbsrc"] == "s1" else ranked2
            eterms = self.expand(qterms, src, cfg)
            s2 = self.stage2_scores(eterms, cfg, cands, terms)
            ranked2 = self.top(s2, len(cands))
            # cost: feedback documents, their stems, new stems
            seen, fb = set(), []
            for i, _s in src:
                k = c.doc_of[i]
                if k not in seen:
                    seen.add(k)
                    fb.append(k)
                    if len(fb) == cfg["fbd"]:
                        break
            cost["fb_docs"] = len(fb)
            cost["fb_passages"] = sum(len(c.passages_of[k]) for k in fb)
            cost["fb_stems"] = len({t for k in fb for t in c.dtf[k]})
            # n_t look-ups when the df filter is applied lazily: rank the
            # stems by rm(t) with the free filters only, then walk down,
            # looking up n_t until fbt stems pass (same result as filtering
            # first, since rm(t) does not depend on n_t)
            stop = {self.stemmer.stem(w) for w in SNOWBALL_STOP}
            sd = {}
            for i, s in src:
                k = c.doc_of[i]
                if k in fb and k not in sd:
                    sd[k] = s
            rm = {}
            for k in fb:
                if c.dlen[k] <= 0:
                    continue
                for t, n in c.dtf[k].items():
                    if t not in stop and len(t) > 1 and not t.isdigit():
                        rm[t] = rm.get(t, 0.0) + sd[k] * n / c.dlen[k]
            looked, passed = 0, 0
            for t, _v in sorted(rm.items(), key=lambda kv: (-kv[1], kv[0])):
                if passed == cfg["fbt"]:
                    break
                looked += 1
                if len(c.post.get(t, ())) <= cfg["fbmaxdf"] * c.N:
                    passed += 1
            cost["df_lazy"] = looked
            cost["new_stems"] = len({t for t, _w in eterms} - set(qterms))
        docs = {c.doc_of[i] for i in cands}
        cost["docs"] = len(docs)
        cost["doc_passages"] = sum(len(c.passages_of[k]) for k in docs)
        cost["doc_tokens"] = sum(c.dlen[k] for k in docs)
        cost["cand_tokens"] = sum(c.len_body[i] + c.len_head[i] for i in cands)
        ranked = ranked2[:cfg["limit"]]
        if cfg["tail"] and rest1:
            floor = ranked2[-1][1] if ranked2 else 0.0
            top_rest = rest1[0][1]
            ranked += [(i, floor - 1 - (top_rest - s)) for i, s in rest1]
            ranked = ranked[:cfg["limit"]]
        return R.max_passage([(c.docid[i], s) for i, s in ranked]), cost

    def run(self, cfg):
        run = {}
        for qid, text in self.c.queries:
            if R.query_words(text):
                run[qid] = self.run_query(text, cfg)
        return run


# ---------------------------------------------------------------------------
# Evaluation helpers


def per_query(run, qrels):
    """{qid: (AP, nDCG@10)} over judged queries (missing = 0)."""
    out = {}
    for q in sorted(q for q, r in qrels.items() if R.num_relevant(r) > 0):
        ranked = [d for d, _s in R.trec_order(run.get(q, []))]
        out[q] = (R.average_precision(ranked, qrels[q]), R.ndcg_at(ranked, qrels[q], 10))
    return out


def means(pq):
    n = len(pq)
    return (sum(v[0] for v in pq.values()) / n, sum(v[1] for v in pq.values()) / n)


def read_run(path):
    run = {}
    with open(path) as f:
        for line in f:
            q, _q0, d, _rank, s, _tag = line.split()
            run.setdefault(q, []).append((d, float(s)))
    return run


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", default=os.path.join(B.DEFAULT_SHARED, "eval"))
    ap.add_argument("--collections", default="cisi,med,cran")
    ap.add_argument("--work", default=None, help="scratch dir (indexes kept there)")
    ap.add_argument("--peer-runs", default=None,
                    help="relevance.py --runs DIR: per-query figures of the peers")
    ap.add_argument("--config", action="append", default=[],
                    help="a configuration (k=v,...); repeatable")
    ap.add_argument("--validate", action="store_true",
                    help="compare the prototype's default with nutgraf-query")
    ap.add_argument("--check-stems", action="store_true",
                    help="compare query stems with nutgraf-query --explain")
    ap.add_argument("--runs", default=None, help="write the prototype's run files here")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="rank_proto.")
    os.makedirs(work, exist_ok=True)
    stemmer = Stemmer()
    colls = [Collection(n, os.path.abspath(args.eval_dir), work)
             for n in args.collections.split(",") if n]
    if args.check_stems:
        ngq = os.path.join(REPO, "build", "query", "nutgraf-query")
        bad = 0
        for c in colls:
            for qid, text in c.queries:
                words = R.query_words(text)
                if not words:
                    continue
                p = subprocess.run([ngq, "-i", c.db, "--any", "--no-variants", "--explain",
                                    "--count"] + words, capture_output=True, text=True)
                line = [x for x in p.stderr.splitlines() if x.startswith("fts5: ")]
                got = re.findall(r'"([^"]*)"', line[0]) if line else None
                want = [stemmer.stem(w) for w in words]
                if got != want:
                    bad += 1
                    print(f"{c.name} q{qid}: nutgraf {got} prototype {want}")
        print(f"stems: {bad} queries differ")
    for c in colls:
        rk = Ranker(c, stemmer)
        for text in args.config or [""]:
            cfg = parse_cfg(text)
            run = rk.run(cfg)
            m = means(per_query(run, c.qrels))
            print(f"{c.name}\t{cfg_text(cfg) or 'default'}\tMAP {m[0]:.4f}\tnDCG@10 {m[1]:.4f}")
            if args.runs:
                os.makedirs(args.runs, exist_ok=True)
                R.write_run(os.path.join(args.runs, f"{c.name}.proto.run"), run, "proto")
            if args.peer_runs:
                for tag in ("nutgraf", "fts5-porter", "xapian-doc", "xapian-passage"):
                    p = os.path.join(args.peer_runs, f"{c.name}.{tag}.run")
                    if os.path.exists(p):
                        pm = means(per_query(read_run(p), c.qrels))
                        print(f"  {tag:16s} MAP {pm[0]:.4f} nDCG@10 {pm[1]:.4f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Query-speed benchmark: nutgraf-query against peers on the BBC corpus.

For every query in bench/queries.txt (words all required, "phrases",
prefix*), the whole-process time of
  - nutgraf-query --limit 10 (default all-words mode) on a nutgraf index,
  - the sqlite3 shell running the equivalent MATCH on a plain FTS5 'porter'
    table of the same passages (ORDER BY rank LIMIT 10, selecting snippet()),
  - Xapian quest (default op AND, wildcards on, -m 10) on a scriptindex
    index of the same passages,
  - ripgrep (rg -i -w; several terms as PCRE2 lookaheads on one line, and a
    BBC paragraph is one line) over the raw files,
timed by hyperfine (median of --runs after --warmup) or, without hyperfine,
by an alternating loop around subprocess.run. A second table counts each
tool's matches, to show the four do comparable work.

Then in-process latency, warm, p50/p95/p99 over --latency-reps searches per
query: libnutgraf's ng_search next to the same MATCH on the porter table, both
in bench/latency.c (built here with cc; skipped if it cannot be built), and
Xapian's Enquire::get_mset(0, 10) in bench/xapian_latency.cc (built with g++
against libxapian-dev; skipped without them).

--copies N searches N copies of the corpus under distinct paths instead of
the corpus itself; --reuse DIR keeps the built indexes in DIR (the layout of
bench/scale.py) and searches them again on the next run instead of
rebuilding. --nutgraf-extra adds options to every nutgraf search.
Prints Markdown on stdout, progress on stderr. Nothing asserts on time.
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
import benchlib as B  # noqa: E402

TOOLS = ("nutgraf", "porter", "xapian", "rg")
TOOL_TITLES = {"nutgraf": "nutgraf", "porter": "sqlite3 porter",
               "xapian": "Xapian quest", "rg": "rg"}


def parse_args():
    ap = argparse.ArgumentParser(
        description="Query-speed benchmark: nutgraf-query vs sqlite3 FTS5 porter "
        "vs Xapian quest vs ripgrep, plus in-process latency (Markdown on stdout).")
    ap.add_argument("--corpus", default=os.path.join(B.DEFAULT_SHARED, "corpora", "bbc-news"),
                    help="corpus folder (default: %(default)s)")
    ap.add_argument("--build", default="build",
                    help="nutgraf build directory, relative to the repo root "
                    "(default: %(default)s)")
    ap.add_argument("--queries", default=os.path.join(B.BENCH_DIR, "queries.txt"),
                    help="query list, one per line (default: %(default)s)")
    ap.add_argument("--copies", type=int, default=1,
                    help="search N copies of the corpus under distinct paths "
                    "(default: %(default)s, the corpus itself)")
    ap.add_argument("-n", "--runs", type=int, default=20,
                    help="timed runs per tool and query (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=3,
                    help="untimed warm-up runs per tool and query (default: %(default)s)")
    ap.add_argument("--no-hyperfine", action="store_true",
                    help="time with an alternating subprocess loop instead of hyperfine")
    ap.add_argument("--no-rg", action="store_true",
                    help="leave ripgrep out (it reads every file: slow at many copies)")
    ap.add_argument("--latency-reps", type=int, default=300,
                    help="timed in-process searches per query (default: %(default)s)")
    ap.add_argument("--no-latency", action="store_true",
                    help="skip the in-process latency part")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="in-process figures from wall time (default) or from the searching "
                    "thread's CPU time, which a busy machine inflates less")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"),
                    help="C compiler for bench/latency.c (default: $CC or cc)")
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"),
                    help="C++ compiler for bench/xapian_latency.cc (default: $CXX or g++)")
    ap.add_argument("--latency-libs", default=None,
                    help="link flags after libnutgraf for latency.c (default: try "
                    "'-lsqlite3 -lstemmer -lm', then adding -ljansson -lpthread -ldl)")
    ap.add_argument("--nutgraf-extra", default="", metavar="OPTIONS",
                    help="options added to every nutgraf-query run, e.g. '--no-variants' "
                    "(and, unless --latency-extra is given, to latency.c as -x OPTION)")
    ap.add_argument("--latency-extra", default=None, metavar="OPTIONS",
                    help="nutgraf-query style options for the in-process nutgraf "
                    "searches (latency.c -x; default: those of --nutgraf-extra)")
    ap.add_argument("--quick", action="store_true",
                    help="a fast look: --runs 5 --warmup 1 --latency-reps 50")
    ap.add_argument("--tmpdir", default=None,
                    help="parent of the scratch directory (default: system temp)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory and print its path")
    ap.add_argument("--reuse", default=None, metavar="DIR",
                    help="keep the indexes in DIR (bench/scale.py's layout) and search "
                    "those already there instead of building them")
    ap.add_argument("--rebuild", action="store_true",
                    help="with --reuse: build the indexes again even if DIR has them")
    args = ap.parse_args(B.glue_option_values(sys.argv[1:]))
    if args.quick:
        args.runs, args.warmup, args.latency_reps = 5, 1, 50
    if args.runs < 2:
        ap.error("--runs must be at least 2")
    if args.copies < 1:
        ap.error("--copies must be at least 1")
    if args.rebuild and not args.reuse:
        ap.error("--rebuild needs --reuse DIR")
    args.ng_extra = shlex.split(args.nutgraf_extra)
    args.lat_extra = (args.ng_extra if args.latency_extra is None
                      else shlex.split(args.latency_extra))
    return args


def count_matches(line, terms, ctx):
    """How many passages (nutgraf, porter, Xapian) or lines (rg) match."""
    counts = {}
    if ctx["ng_query"] and ctx["ng_db"]:
        counts["nutgraf"] = B.nutgraf_count(ctx["ng_query"], ctx["ng_db"], line, ctx["ng_extra"])
    counts["porter"] = B.porter_count(ctx["porter_db"], terms)
    if ctx["xapian_db"]:
        _hits, n = B.quest(ctx["xapian_db"], B.to_xapian(terms), 0,
                           default_op=B.XAPIAN_DEFAULT_OP, flags=B.XAPIAN_FLAGS,
                           check_at_least=100000000)
        counts["xapian"] = n
    if ctx["rg"]:
        p = subprocess.run(["rg", "--no-config", "-c"] + B.to_rg_args(terms) + ["--"]
                           + ctx["inputs"], capture_output=True, text=True, errors="replace")
        counts["rg"] = sum(int(s.rsplit(":", 1)[1]) for s in p.stdout.splitlines() if ":" in s)
    return counts


# ---------------------------------------------------------------------------
# In-process latency (bench/latency.c, bench/xapian_latency.cc)


def latency_table(queries, samples, hits, tools):
    """Per-query p50/p95/p99 in µs for TOOLS (of ng, porter, xapian), the
    ratios of nutgraf to each peer, and a pooled row."""
    pcts = (50, 95, 99)
    title = {"ng": "nutgraf", "porter": "porter", "xapian": "Xapian"}
    have_ng = "ng" in tools
    peers = [t for t in tools if t != "ng"]
    headers = ["#", "query"]
    for t in tools:
        headers += [f"{title[t]} p{p} µs" for p in pcts]
    if have_ng:
        for t in peers:
            headers += ([f"ng÷{t} p{p}" for p in pcts] if t == "porter"
                        else [f"ng÷{title[t]} p50"])
    headers.append("hits " + " / ".join(title[t] for t in tools))

    def cells(stats):
        row = []
        for t in tools:
            row += [B.fmt(v, 0) for v in stats[t]]
        if have_ng:
            for t in peers:
                pairs = list(zip(stats["ng"], stats[t]))
                row += [B.fmt(B.ratio(a, b)) for a, b in (pairs if t == "porter" else pairs[:1])]
        return row

    rows = []
    pooled = {t: [] for t in tools}
    for q, (line, _terms) in enumerate(queries, start=1):
        stats = {}
        for t in tools:
            xs = samples.get((q, t), [])
            pooled[t] += xs
            stats[t] = [B.percentile(xs, p) if xs else None for p in pcts]
        h = " / ".join(str(hits.get((q, t), "–")) for t in tools)
        rows.append([q, f"`{line}`"] + cells(stats) + [h])
    stats = {t: [B.percentile(pooled[t], p) if pooled[t] else None for p in pcts]
             for t in tools}
    rows.append(["all", "**pooled over all searches**"]
                + [f"**{c}**" for c in cells(stats)] + [""])
    return B.md_table(headers, rows, right=range(2, len(headers)))


def measure_latency(args, queries, ctx, tmp):
    """Print the in-process latency section."""
    print(f"\n## In-process latency, warm ({args.latency_reps} searches per query "
          "after 10 warm-up, LIMIT 10)\n")
    lib = B.find_libnutgraf(args.build) if ctx["ng_db"] else None
    if lib and not os.path.isfile(os.path.join(B.REPO_ROOT, "include", "nutgraf.h")):
        lib = None
    exe = None
    if not B.which(args.cc):
        print(f"- No C compiler `{args.cc}`: nutgraf and porter not measured.")
    else:
        exe = B.build_latency(args.cc, tmp, lib, args.latency_libs)
        if exe is None and lib is not None:
            print("- bench/latency.c did not build against libnutgraf (see stderr); "
                  "porter side only.")
            lib = None
            exe = B.build_latency(args.cc, tmp, None)
        elif lib is None:
            print("- nutgraf: not built, or libnutgraf / include/nutgraf.h not "
                  "found; porter side only.")
        if exe is None:
            print("- bench/latency.c did not build (see stderr).")
    xexe, why = (None, "no Xapian index") if not ctx["xapian_db"] else \
        B.build_xapian_latency(args.cxx, tmp)
    if xexe is None:
        print(f"- Xapian in-process not measured: {why}.")
    wall, cpu, hits, tools, failed = {}, {}, {}, [], []
    if exe is not None:
        qfile = os.path.join(tmp, "latency-queries.tsv")
        B.write_latency_queries(queries, qfile)
        rc = B.run_latency(exe, ctx["ng_db"] if lib else None, ctx["porter_db"], qfile,
                           args.latency_reps, wall, hits,
                           extra=args.lat_extra if lib else (), cpu=cpu)
        if rc != 0:
            failed.append(f"latency exited {rc} (see stderr)")
        tools += (["ng"] if lib else []) + ["porter"]
    if xexe is not None:
        qfile = os.path.join(tmp, "xapian-queries.tsv")
        B.write_latency_queries(queries, qfile, xapian=True)
        rc = B.run_xapian_latency(xexe, ctx["xapian_db"], qfile, args.latency_reps,
                                  wall, hits, cpu=cpu)
        if rc != 0:
            failed.append(f"xapian_latency exited {rc} (see stderr)")
        tools.append("xapian")
    for f in failed:
        print(f"- {f}; figures may be partial.")
    if not tools:
        return
    print()
    samples = cpu if args.clock == "cpu" else wall
    print(latency_table(queries, samples, hits, tools))
    print("\n- nutgraf: `ng_search` + every `ng_results_next` + `ng_results_free`"
          + (f" (options: `{shlex.join(args.lat_extra)}`)" if args.lat_extra and lib else "")
          + "; porter: prepare + step (rowid, snippet()) + finalize of the same "
          "MATCH ... ORDER BY rank LIMIT 10 (both in latency.c, alternating query by "
          "query); Xapian: QueryParser as quest sets it up (english, STEM_SOME, quest's "
          "stop words, default op AND, FLAG_DEFAULT|FLAG_WILDCARD) + Enquire (BM25) + "
          "`get_mset(0, 10)` + each hit's document data, no snippet "
          "(xapian_latency.cc, run after latency.c); nearest-rank percentiles of "
          + ("the searching thread's CPU time." if args.clock == "cpu" else "wall time."))


# ---------------------------------------------------------------------------


def main():
    args = parse_args()
    corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(corpus):
        B.skip(f"corpus {corpus} not found (../shared is absent?)")
    if not os.path.isfile(args.queries):
        B.skip(f"query list {args.queries} not found")
    ng_index, ng_query = B.nutgraf_binaries(args.build)
    if not (ng_index and ng_query):
        ng_index = ng_query = None
    have = {"sqlite3": B.which("sqlite3") is not None,
            "xapian": B.which("scriptindex") is not None and B.which("quest") is not None,
            "rg": B.which("rg") is not None and not args.no_rg,
            "hyperfine": B.which("hyperfine") is not None and not args.no_hyperfine}
    if not (ng_query or have["sqlite3"] or have["xapian"] or have["rg"]):
        B.skip("neither nutgraf nor any peer (sqlite3, Xapian, rg) is available "
               "(build nutgraf; run bench/setup)")
    queries = B.read_queries(args.queries)

    print("# nutgraf query-speed benchmark\n")
    print(B.machine_header(ng_index, B.PEER_VERSIONS) + "\n")
    if not ng_query:
        print(f"- Not measured: nutgraf (not built in {B.build_dir(args.build)})")
    for tool, why in (("sqlite3", "sqlite3 shell (run bench/setup)"),
                      ("xapian", "Xapian scriptindex/quest (run bench/setup)"),
                      ("rg", "ripgrep (--no-rg)" if args.no_rg else "ripgrep (run bench/setup)")):
        if not have[tool]:
            print(f"- Not measured: {why}")

    tmp = B.make_tmpdir(args.tmpdir, "query")
    try:
        root = os.path.abspath(args.reuse) if args.reuse else os.path.join(tmp, "cache")
        os.makedirs(root, exist_ok=True)
        ss = B.ScaleSet(root, corpus, args.copies)
        if args.rebuild:
            ss.forget()
        stale = ss.stale_note(ng_index)
        npassages, note = ss.ensure_untimed(ng_index, have["xapian"], tmp)
        ng_db = ss.ng_db if ng_index and ss.has("nutgraf") else None
        xapian_db = ss.xapian_db if have["xapian"] and ss.has("xapian") else None
        ctx = {"ng_query": ng_query, "ng_db": ng_db, "ng_extra": args.ng_extra,
               "sqlite3": have["sqlite3"], "porter_db": ss.porter_db, "xapian_db": xapian_db,
               "rg": have["rg"], "inputs": ss.inputs()}
        if args.reuse:
            print(f"- Indexes of {ss.label} in `{ss.dir}` (built {ss.meta.get('built', '?')})"
                  + (f"; **{stale}**" if stale else ""))

        timing = "hyperfine" if have["hyperfine"] else "alternating subprocess loop"
        present = [t for t in TOOLS if t in B.query_commands("x", [("word", ["x"])], ctx)]
        rows, counts_rows = [], []
        ratios = {t: [] for t in present if t != "nutgraf"}
        medians = {t: [] for t in present}
        failed_runs = []
        for q, (line, terms) in enumerate(queries, start=1):
            cmds = B.query_commands(line, terms, ctx)
            B.progress(f"query {q}/{len(queries)}: {line}")
            med, codes = (B.time_hyperfine(cmds, args.runs, args.warmup, tmp)
                          if have["hyperfine"] else B.time_loop(cmds, args.runs, args.warmup))
            row = [q, f"`{line}`"]
            for t in present:
                bad = sorted(codes.get(t, set()) - {0, 1})  # 1 = no match, for all four
                row.append(B.fmt(med[t] * 1000, 1) + (f" (exit {bad[0]}!)" if bad else ""))
                if bad:
                    failed_runs.append(f"{TOOL_TITLES[t]} on `{line}` exited {bad}")
            for t in present:
                medians[t].append(med[t])
            if "nutgraf" in med:
                for t in ratios:
                    r = B.ratio(med["nutgraf"], med[t])
                    ratios[t].append(r)
                    row.append(B.fmt(r))
            rows.append(row)
            c = count_matches(line, terms, ctx)
            counts_rows.append([q, f"`{line}`"] + [c.get(t, "–") for t in present]
                               + [B.to_fts5_and(terms).replace("|", "\\|")])
        summary = ["all", "**geometric mean**"] + [f"**{B.fmt(B.geomean(medians[t]) * 1000, 1)}**"
                                                   for t in present]
        if "nutgraf" in present:
            summary += [f"**{B.fmt(B.geomean(ratios[t]))}**" for t in ratios]
        rows.append(summary)
        headers = ["#", "query"] + [f"{TOOL_TITLES[t]} ms" for t in present]
        if "nutgraf" in present:
            headers += [f"nutgraf ÷ {TOOL_TITLES[t]}" for t in ratios]

        print(f"\n## Whole-process time per query on {ss.label} ({timing}, median of "
              f"{args.runs} runs after {args.warmup} warm-up)\n")
        print(B.md_table(headers, rows, right=range(2, len(headers))))
        print()
        for f in failed_runs:
            print(f"- **Failed:** {f} (its time is not a search time).")
        print(f"- {ss.label}: {ss.meta.get('files', '?')} files, {npassages} passages; {note}.")
        print("- nutgraf: `nutgraf-query --index IDX --limit 10 "
              + (shlex.join(args.ng_extra) + " " if args.ng_extra else "")
              + "QUERY` (text output). "
              "sqlite3: `sqlite3 -readonly porter.db \"SELECT rowid, snippet(p, 0, '[', ']', "
              "'...', 32) FROM p WHERE p MATCH '<expr>' ORDER BY rank LIMIT 10;\"`. "
              f"Xapian: `quest -d DB -m 10 -o {B.XAPIAN_DEFAULT_OP} -f {B.XAPIAN_FLAGS} QUERY`. "
              "rg: `rg -i -w PATTERN` on the corpus folders (several terms: "
              "`rg -i -P '^(?=.*\\bT1\\b)(?=.*\\bT2\\b)'`), printing every matching line. "
              "Output goes to /dev/null.")

        print("\n## Matches per query (passages; rg: lines, i.e. paragraphs)\n")
        print(B.md_table(["#", "query"] + [TOOL_TITLES[t] for t in present]
                         + ["FTS5 expression used"], counts_rows,
                         right=range(2, 2 + len(present))))
        print("\n- Differences come from stemming (Snowball English vs FTS5 porter vs "
              "Xapian's English stemmer; rg does not stem), from tokenizing, and from "
              "quest's query parsing (STEM_SOME leaves capitalised words and phrase "
              "words unstemmed; stop words are dropped unless the query is only stop words).")

        if not args.no_latency:
            measure_latency(args, queries, ctx, tmp)
    finally:
        if args.keep:
            B.progress(f"scratch kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        if args.reuse:
            B.progress(f"indexes kept in {os.path.abspath(args.reuse)}")


if __name__ == "__main__":
    main()

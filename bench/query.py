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
in bench/latency.c (built here with cc; skipped if it cannot be built).
Prints Markdown on stdout, progress on stderr. Nothing asserts on time.
"""

import argparse
import glob
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import benchlib as B  # noqa: E402

PORTER_SELECT = ("SELECT rowid, snippet(p, 0, '[', ']', '...', 32) FROM p "
                 "WHERE p MATCH {expr} ORDER BY rank LIMIT 10;")
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
    ap.add_argument("-n", "--runs", type=int, default=20,
                    help="timed runs per tool and query (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=3,
                    help="untimed warm-up runs per tool and query (default: %(default)s)")
    ap.add_argument("--no-hyperfine", action="store_true",
                    help="time with an alternating subprocess loop instead of hyperfine")
    ap.add_argument("--latency-reps", type=int, default=300,
                    help="timed in-process searches per query (default: %(default)s)")
    ap.add_argument("--no-latency", action="store_true",
                    help="skip the in-process latency part")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"),
                    help="C compiler for bench/latency.c (default: $CC or cc)")
    ap.add_argument("--latency-libs", default=None,
                    help="link flags after libnutgraf for latency.c (default: try "
                    "'-lsqlite3 -lstemmer -lm', then adding -ljansson -lpthread -ldl)")
    ap.add_argument("--quick", action="store_true",
                    help="a fast look: --runs 5 --warmup 1 --latency-reps 50")
    ap.add_argument("--tmpdir", default=None,
                    help="parent of the scratch directory (default: system temp)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory and print its path")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.warmup, args.latency_reps = 5, 1, 50
    if args.runs < 2:
        ap.error("--runs must be at least 2")
    return args


def read_queries(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                terms = B.parse_user_query(line)
                if terms:
                    out.append((line, terms))
    return out


def commands(line, terms, ctx):
    """The command each available tool runs for one query."""
    cmds = {}
    if ctx["ng_query"] and ctx["ng_db"]:
        cmds["nutgraf"] = [ctx["ng_query"], "--index", ctx["ng_db"], "--limit", "10", line]
    if ctx["sqlite3"]:
        sql = PORTER_SELECT.format(expr=B.sql_quote(B.to_fts5_and(terms)))
        cmds["porter"] = ["sqlite3", "-readonly", ctx["porter_db"], sql]
    if ctx["xapian_db"]:
        cmds["xapian"] = ["quest", "-d", ctx["xapian_db"], "-m", "10", "-o", "and",
                          "-f", "default,wildcard", B.to_xapian(terms)]
    if ctx["rg"]:
        cmds["rg"] = ["rg", "--no-config"] + B.to_rg_args(terms) + ["--"] + ctx["inputs"]
    return cmds


def time_hyperfine(cmds, runs, warmup, tmp):
    """Median seconds and the set of exit codes per tool, via one hyperfine
    call per query."""
    names = list(cmds)
    out = os.path.join(tmp, "hyperfine.json")
    argv = ["hyperfine", "-N", "-i", "--style", "none", "--output", "null",
            "--warmup", str(warmup), "--runs", str(runs), "--export-json", out]
    for name in names:
        argv += ["-n", name, shlex.join(cmds[name])]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as f:
        data = json.load(f)
    return ({r["command"]: r["median"] for r in data["results"]},
            {r["command"]: set(r.get("exit_codes") or []) for r in data["results"]})


def time_loop(cmds, runs, warmup):
    """Median seconds and the set of exit codes per tool, alternating tools
    within each repetition."""
    samples = {name: [] for name in cmds}
    codes = {name: set() for name in cmds}
    for r in range(-warmup, runs):
        for name, cmd in cmds.items():
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = time.perf_counter() - t0
            codes[name].add(p.returncode)
            if r >= 0:
                samples[name].append(dt)
    return {name: B.median(s) for name, s in samples.items()}, codes


def count_matches(line, terms, ctx):
    """How many passages (nutgraf, porter, Xapian) or lines (rg) match."""
    counts = {}
    if ctx["ng_query"] and ctx["ng_db"]:
        p = subprocess.run([ctx["ng_query"], "--index", ctx["ng_db"], "--count", line],
                           capture_output=True, text=True, errors="replace")
        try:
            counts["nutgraf"] = int(p.stdout.split()[0])
        except (IndexError, ValueError):
            counts["nutgraf"] = f"exit {p.returncode}"
    con = sqlite3.connect(f"file:{ctx['porter_db']}?mode=ro", uri=True)
    try:
        counts["porter"] = con.execute("SELECT count(*) FROM p WHERE p MATCH ?",
                                       (B.to_fts5_and(terms),)).fetchone()[0]
    except sqlite3.Error as e:
        counts["porter"] = f"error: {e}"
    finally:
        con.close()
    if ctx["xapian_db"]:
        _hits, n = B.quest(ctx["xapian_db"], B.to_xapian(terms), 0, default_op="and",
                           flags="default,wildcard", check_at_least=100000000)
        counts["xapian"] = n
    if ctx["rg"]:
        p = subprocess.run(["rg", "--no-config", "-c"] + B.to_rg_args(terms) + ["--"]
                           + ctx["inputs"], capture_output=True, text=True, errors="replace")
        counts["rg"] = sum(int(s.rsplit(":", 1)[1]) for s in p.stdout.splitlines() if ":" in s)
    return counts


# ---------------------------------------------------------------------------
# In-process latency (bench/latency.c)


def find_libnutgraf(build):
    b = B.build_dir(build)
    for pattern in ("libnutgraf.so", "libnutgraf.a", "libnutgraf.so.*"):
        hits = sorted(glob.glob(os.path.join(b, "**", pattern), recursive=True))
        if hits:
            return hits[0]
    return None


def build_latency(args, tmp, lib):
    """Compile bench/latency.c against LIB (libnutgraf), or porter-only when
    LIB is None. Returns the binary path or None."""
    src = os.path.join(B.BENCH_DIR, "latency.c")
    exe = os.path.join(tmp, "latency")
    base = [args.cc, "-O2", "-std=c11", "-o", exe, src]
    if lib is None:
        attempts = [base + ["-DLATENCY_NO_NUTGRAF", "-lsqlite3"]]
    else:
        pre = base + ["-I" + os.path.join(B.REPO_ROOT, "include"), lib]
        if lib.endswith(".so") or ".so." in lib:
            pre.append("-Wl,-rpath," + os.path.dirname(lib))
        extra = ([shlex.split(args.latency_libs)] if args.latency_libs else
                 [["-lsqlite3", "-lstemmer", "-lm"],
                  ["-lsqlite3", "-lstemmer", "-ljansson", "-lm", "-lpthread", "-ldl"]])
        attempts = [pre + e for e in extra]
    err = ""
    for cmd in attempts:
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode == 0:
            B.progress("built latency: " + shlex.join(cmd))
            return exe
        err = p.stderr.strip()
    B.progress("cannot build bench/latency.c:\n" + err[-3000:])
    return None


def run_latency(exe, ng_db, porter_db, queries, reps, tmp):
    qfile = os.path.join(tmp, "latency-queries.tsv")
    with open(qfile, "w", encoding="utf-8") as f:
        for line, terms in queries:
            f.write(f"{line}\t{B.to_fts5_and(terms)}\n")
    p = subprocess.run([exe, "-r", str(reps), "-w", "10", "-l", "10",
                        ng_db or "-", porter_db, qfile],
                       capture_output=True, text=True)
    if p.returncode != 0:
        B.progress(f"latency exited {p.returncode}: {p.stderr.strip()}")
    samples = {}
    hits = {}
    for s in p.stdout.splitlines():
        f = s.split("\t")
        if len(f) == 5 and f[0] == "sample":
            q, tool = int(f[1]), f[2]
            samples.setdefault((q, tool), []).append(int(f[3]) / 1000.0)
            hits[(q, tool)] = int(f[4])
    return samples, hits, p.returncode


def latency_table(queries, samples, hits, have_ng):
    pcts = (50, 95, 99)
    headers = ["#", "query"]
    if have_ng:
        headers += [f"nutgraf p{p} µs" for p in pcts]
    headers += [f"porter p{p} µs" for p in pcts]
    if have_ng:
        headers += [f"ng÷porter p{p}" for p in pcts]
    headers.append("hits ng / porter" if have_ng else "hits")
    rows = []
    pooled = {"ng": [], "porter": []}

    def cells(q):
        row = []
        stats = {}
        for tool in (["ng"] if have_ng else []) + ["porter"]:
            xs = samples.get((q, tool), [])
            pooled[tool] += xs
            stats[tool] = [B.percentile(xs, p) if xs else None for p in pcts]
            row += [B.fmt(v, 0) for v in stats[tool]]
        if have_ng:
            row += [B.fmt(B.ratio(a, b)) for a, b in zip(stats["ng"], stats["porter"])]
        return row

    for q, (line, _terms) in enumerate(queries, start=1):
        h = (f"{hits.get((q, 'ng'), '–')} / {hits.get((q, 'porter'), '–')}"
             if have_ng else str(hits.get((q, "porter"), "–")))
        rows.append([q, f"`{line}`"] + cells(q) + [h])
    summary = ["all", "**pooled over all searches**"]
    stats = {}
    for tool in (["ng"] if have_ng else []) + ["porter"]:
        xs = pooled[tool]
        stats[tool] = [B.percentile(xs, p) if xs else None for p in pcts]
        summary += [f"**{B.fmt(v, 0)}**" for v in stats[tool]]
    if have_ng:
        summary += [f"**{B.fmt(B.ratio(a, b))}**" for a, b in zip(stats["ng"], stats["porter"])]
    summary.append("")
    rows.append(summary)
    return B.md_table(headers, rows, right=range(2, len(headers)))


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
            "rg": B.which("rg") is not None,
            "hyperfine": B.which("hyperfine") is not None and not args.no_hyperfine}
    if not (ng_query or have["sqlite3"] or have["xapian"] or have["rg"]):
        B.skip("neither nutgraf nor any peer (sqlite3, Xapian, rg) is available "
               "(build nutgraf; run bench/setup)")
    queries = read_queries(args.queries)

    print("# nutgraf query-speed benchmark\n")
    print(B.machine_header(ng_index, B.PEER_VERSIONS) + "\n")
    if not ng_query:
        print(f"- Not measured: nutgraf (not built in {B.build_dir(args.build)})")
    for tool, why in (("sqlite3", "sqlite3 shell"), ("xapian", "Xapian scriptindex/quest"),
                      ("rg", "ripgrep")):
        if not have[tool]:
            print(f"- Not measured: {why} (run bench/setup)")

    tmp = B.make_tmpdir(args.tmpdir, "query")
    try:
        inputs = B.corpus_inputs(corpus)
        passages, note, ng_db = B.get_passages(ng_index, inputs, tmp, "bbc")
        porter_db = os.path.join(tmp, "porter.db")
        B.progress(f"building the porter table ({len(passages)} passages)")
        B.build_porter_db(passages, porter_db)
        xapian_db = None
        if have["xapian"]:
            B.progress("building the Xapian index")
            script = os.path.join(tmp, "xapian.script")
            inp = os.path.join(tmp, "xapian.in")
            B.xapian_script(script, store_text=True)
            B.write_xapian_input([(r, t) for r, _p, t in passages], inp)
            xapian_db = os.path.join(tmp, "xapian")
            subprocess.run(B.scriptindex_cmd(xapian_db, script, inp), check=True,
                           stdout=subprocess.DEVNULL)
        ctx = {"ng_query": ng_query, "ng_db": ng_db, "sqlite3": have["sqlite3"],
               "porter_db": porter_db, "xapian_db": xapian_db, "rg": have["rg"],
               "inputs": inputs}

        timing = "hyperfine" if have["hyperfine"] else "alternating subprocess loop"
        present = [t for t in TOOLS if t in commands("x", [("word", ["x"])], ctx)]
        rows, counts_rows = [], []
        ratios = {t: [] for t in present if t != "nutgraf"}
        medians = {t: [] for t in present}
        failed_runs = []
        for q, (line, terms) in enumerate(queries, start=1):
            cmds = commands(line, terms, ctx)
            B.progress(f"query {q}/{len(queries)}: {line}")
            med, codes = (time_hyperfine(cmds, args.runs, args.warmup, tmp) if have["hyperfine"]
                          else time_loop(cmds, args.runs, args.warmup))
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

        print(f"\n## Whole-process time per query ({timing}, median of {args.runs} runs "
              f"after {args.warmup} warm-up)\n")
        print(B.md_table(headers, rows, right=range(2, len(headers))))
        print()
        for f in failed_runs:
            print(f"- **Failed:** {f} (its time is not a search time).")
        print(f"- Passages: {len(passages)}; {note}.")
        print("- nutgraf: `nutgraf-query --index IDX --limit 10 QUERY` (text output). "
              "sqlite3: `sqlite3 -readonly porter.db \"SELECT rowid, snippet(p, 0, '[', ']', "
              "'...', 32) FROM p WHERE p MATCH '<expr>' ORDER BY rank LIMIT 10;\"`. "
              "Xapian: `quest -d DB -m 10 -o and -f default,wildcard QUERY`. "
              "rg: `rg -i -w PATTERN` on the corpus folders (several terms: "
              "`rg -i -P '^(?=.*\\bT1\\b)(?=.*\\bT2\\b)'`), printing every matching line. "
              "Output goes to /dev/null.")

        print("\n## Matches per query (passages; rg: lines, i.e. paragraphs)\n")
        print(B.md_table(["#", "query"] + [TOOL_TITLES[t] for t in present]
                         + ["FTS5 expression used"], counts_rows,
                         right=range(2, 2 + len(present))))
        print("\n- Differences come from stemming (Snowball English vs FTS5 porter vs "
              "Xapian's English stemmer; rg does not stem) and from tokenizing.")

        if not args.no_latency:
            print(f"\n## In-process latency, warm ({args.latency_reps} searches per query "
                  "after 10 warm-up, LIMIT 10, alternating)\n")
            lib = find_libnutgraf(args.build) if ng_db else None
            if lib and not os.path.isfile(os.path.join(B.REPO_ROOT, "include", "nutgraf.h")):
                lib = None
            exe = None
            if not B.which(args.cc):
                print(f"Skipped: no C compiler `{args.cc}`.")
            else:
                exe = build_latency(args, tmp, lib)
                if exe is None and lib is not None:
                    print("- bench/latency.c did not build against libnutgraf (see stderr); "
                          "porter side only.\n")
                    lib = None
                    exe = build_latency(args, tmp, None)
                elif lib is None:
                    print("- nutgraf: not built, or libnutgraf / include/nutgraf.h not "
                          "found; porter side only.\n")
                if exe is None:
                    print("Skipped: bench/latency.c did not build (see stderr).")
            if exe is not None:
                with_ng = lib is not None
                samples, hits, rc = run_latency(exe, ng_db if with_ng else None, porter_db,
                                                queries, args.latency_reps, tmp)
                if rc != 0:
                    print(f"- latency exited {rc} (see stderr); figures may be partial.\n")
                print(latency_table(queries, samples, hits, with_ng))
                print("\n- nutgraf: `ng_search` + every `ng_results_next` + `ng_results_free`; "
                      "porter: prepare + step (rowid, snippet()) + finalize of the same "
                      "MATCH ... ORDER BY rank LIMIT 10; nearest-rank percentiles.")
    finally:
        if args.keep:
            B.progress(f"scratch kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

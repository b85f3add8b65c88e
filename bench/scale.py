#!/usr/bin/env python3
"""The query engine at archive scale: nutgraf, a raw FTS5 'porter' table and
Xapian on the BBC corpus copied ×1, ×8 and ×64 (--copies), in one command.

For every corpus size it builds (or, with --reuse DIR, finds already built)
the three indexes of the same passages — nutgraf-index on the copies, the
sqlite3 shell loading nutgraf's passages into fts5(body, tokenize='porter'),
Xapian scriptindex --stemmer=english — timing the builds as bench/index.py
does (nutgraf and porter alternating, medians of --build-runs), plus
nutgraf's re-run with nothing changed and its --full rebuild. Then:

  - in-process latency, warm, of the 36 queries of bench/queries.txt and a
    few very common words (said, the, year): libnutgraf's ng_search and the
    porter MATCH in bench/latency.c, Xapian's Enquire::get_mset(0, 10) in
    bench/xapian_latency.cc, alternating latency.c and xapian_latency in
    --rounds rounds; geometric mean of the per-query p50 over the 36, pooled
    p99, and rows for said, the, government, year, "prime minister";
  - whole-process time of nutgraf-query, the sqlite3 shell and quest per
    query (hyperfine medians), geometric mean over the 36;
  - exact match counts per engine, and whether they grow exactly with the
    copies.

Prints Markdown on stdout (the growth tables first), progress on stderr.
Benchmarks only: nothing here asserts on time.
"""

import argparse
import os
import shlex
import shutil
import sys
import time

sys.dont_write_bytecode = True
import benchlib as B  # noqa: E402

# Added to the latency query list for this table when queries.txt lacks
# them; they do not enter the geometric mean or the pooled p99 (the 36 do).
EXTRA_QUERIES = ("said", "the", "year")
SPOTLIGHT = ("said", "the", "government", "year", '"prime minister"')
ENGINE_TITLE = {"ng": "nutgraf", "porter": "FTS5 porter", "xapian": "Xapian",
                "xapian+snip": "Xapian + snippet"}
PROCESS_TITLE = {"nutgraf": "nutgraf-query", "porter": "sqlite3 shell (porter)",
                 "xapian": "Xapian quest"}


def parse_args():
    ap = argparse.ArgumentParser(
        description="nutgraf vs FTS5 porter vs Xapian at BBC ×1, ×8, ×64: build, "
        "in-process latency and whole-process time (Markdown on stdout).")
    ap.add_argument("--corpus", default=os.path.join(B.DEFAULT_SHARED, "corpora", "bbc-news"),
                    help="corpus folder (default: %(default)s)")
    ap.add_argument("--build", default="build",
                    help="nutgraf build directory, relative to the repo root "
                    "(default: %(default)s)")
    ap.add_argument("--queries", default=os.path.join(B.BENCH_DIR, "queries.txt"),
                    help="query list (default: %(default)s)")
    ap.add_argument("--copies", default="1,8,64",
                    help="corpus sizes, as copies of the corpus (default: %(default)s)")
    ap.add_argument("--build-runs", type=int, default=3,
                    help="timed nutgraf and porter builds (and nutgraf re-runs) per size, "
                    "alternating, median reported (default: %(default)s)")
    ap.add_argument("--xapian-build-runs", type=int, default=1,
                    help="timed Xapian builds per size (default: %(default)s; "
                    "scriptindex takes minutes at ×64)")
    ap.add_argument("--latency-reps", type=int, default=200,
                    help="timed in-process searches per query and engine, split over "
                    "--rounds (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds of latency.c then xapian_latency (default: %(default)s)")
    ap.add_argument("-n", "--runs", type=int, default=20,
                    help="whole-process runs per tool and query (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=3,
                    help="whole-process warm-up runs (default: %(default)s)")
    ap.add_argument("--no-hyperfine", action="store_true",
                    help="time whole processes with an alternating loop instead of hyperfine")
    ap.add_argument("--no-latency", action="store_true", help="skip the in-process part")
    ap.add_argument("--no-process", action="store_true", help="skip the whole-process part")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="in-process figures from wall time (default) or from the searching "
                    "thread's CPU time, which a busy machine inflates less")
    ap.add_argument("--xapian-snippets", action="store_true",
                    help="also time Xapian making a snippet of each hit (MSet::snippet)")
    ap.add_argument("--nutgraf-extra", default="", metavar="OPTIONS",
                    help="options added to every nutgraf-query run, e.g. '--no-collapse' "
                    "(and, unless --latency-extra is given, to latency.c as -x OPTION)")
    ap.add_argument("--latency-extra", default=None, metavar="OPTIONS",
                    help="nutgraf-query style options for the in-process nutgraf "
                    "searches (latency.c -x; default: those of --nutgraf-extra)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"),
                    help="C compiler for bench/latency.c (default: $CC or cc)")
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"),
                    help="C++ compiler for bench/xapian_latency.cc (default: $CXX or g++)")
    ap.add_argument("--latency-libs", default=None,
                    help="link flags after libnutgraf for latency.c")
    ap.add_argument("--quick", action="store_true",
                    help="a fast look: --copies 1,2 --build-runs 1 --latency-reps 30 "
                    "--rounds 1 --runs 5 --warmup 1")
    ap.add_argument("--tmpdir", default=None,
                    help="parent of the scratch directory (default: system temp)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory (with the built indexes) and print its path")
    ap.add_argument("--reuse", default=None, metavar="DIR",
                    help="keep the indexes in DIR, and search those already there "
                    "(from an earlier --reuse DIR or --keep run) instead of building them")
    ap.add_argument("--rebuild", action="store_true",
                    help="with --reuse: build (and time) every size again")
    args = ap.parse_args(B.glue_option_values(sys.argv[1:]))
    if args.quick:
        args.copies, args.build_runs, args.latency_reps = "1,2", 1, 30
        args.rounds, args.runs, args.warmup = 1, 5, 1
    try:
        args.copies = B.parse_copies(args.copies)
    except ValueError as e:
        ap.error(str(e))
    if args.build_runs < 1 or args.xapian_build_runs < 1 or args.rounds < 1:
        ap.error("--build-runs, --xapian-build-runs and --rounds must be at least 1")
    if args.latency_reps < args.rounds:
        ap.error("--latency-reps must be at least --rounds")
    if args.runs < 2:
        ap.error("--runs must be at least 2")
    if args.rebuild and not args.reuse:
        ap.error("--rebuild needs --reuse DIR")
    args.ng_extra = shlex.split(args.nutgraf_extra)
    args.lat_extra = (args.ng_extra if args.latency_extra is None
                      else shlex.split(args.latency_extra))
    return args


class Disk:
    """The most disk the run's directories used at the moments sampled
    (each inode once)."""

    def __init__(self, *paths):
        self.paths, self.peak, self.when = paths, 0, ""

    def sample(self, when):
        roots = [p for p in self.paths if p]
        # a cache inside the scratch directory is counted once
        roots = [p for p in roots if not any(p != q and p.startswith(q + os.sep) for q in roots)]
        used = sum(B.disk_usage(p) for p in roots)
        if used > self.peak:
            self.peak, self.when = used, when
        return used


# ---------------------------------------------------------------------------
# Building


def build_scale(ss, ng_index, have, args, tmp, disk):
    """Build every index of one corpus size into SS, timing the builds.
    Returns nothing; the figures go to SS's meta.json."""
    ss.forget()
    os.makedirs(ss.dir, exist_ok=True)
    t0 = time.perf_counter()
    inputs = ss.inputs()
    copy_s = time.perf_counter() - t0
    files = len(B.list_files(inputs))
    B.progress(f"{ss.label}: {files} files in {len(inputs)} folders"
               + (f" (linked in {copy_s:.1f} s)" if ss.copies > 1 else ""))
    work = os.path.join(tmp, f"work-x{ss.copies}")
    os.makedirs(work, exist_ok=True)
    passages, note, db = B.get_passages(ng_index, inputs, work, f"x{ss.copies}", db=ss.ng_db)
    engines = ["nutgraf"] if db else []
    sql = os.path.join(work, "porter.sql")
    if have["sqlite3"]:
        B.write_porter_sql(passages, sql)
    xin, script = os.path.join(work, "xapian.in"), os.path.join(work, "xapian.script")
    if have["xapian"]:
        B.xapian_script(script, store_text=True)
        B.write_xapian_input([(r, t) for r, _p, t in passages], xin)
    npassages = len(passages)
    del passages
    disk.sample(f"{ss.label}, peer inputs written")

    builds = {}
    if db:
        out = os.path.join(work, "timed.nutgraf")
        cmd = [ng_index, "--index", out, "--quiet"] + list(inputs)
        builds["fresh"] = B.Timed("nutgraf-index", cmd, out)
        builds["nochange"] = B.Timed("nutgraf-index, nothing changed", cmd, out, fresh=False)
        builds["full"] = B.Timed("nutgraf-index --full", cmd[:1] + ["--full"] + cmd[1:], out,
                                 fresh=False)
    if have["sqlite3"]:
        out = os.path.join(work, "porter.db")
        builds["porter"] = B.Timed("sqlite3 FTS5 porter", ["sqlite3", "-bail", out], out,
                                   stdin=sql)
    order = [k for k in ("fresh", "porter", "nochange", "full") if k in builds]
    for r in range(args.build_runs):
        for k in order:
            m = builds[k].run_once()
            B.progress(f"{ss.label} build {r + 1}/{args.build_runs}: {builds[k].name} "
                       f"{m.wall:.2f} s wall, {m.cpu:.2f} s CPU")
    disk.sample(f"{ss.label}, nutgraf and porter built")
    if have["xapian"]:
        out = os.path.join(work, "xapian")
        builds["xapian"] = B.Timed("Xapian scriptindex", B.scriptindex_cmd(out, script, xin), out)
        for r in range(args.xapian_build_runs):
            m = builds["xapian"].run_once()
            B.progress(f"{ss.label} build {r + 1}/{args.xapian_build_runs}: Xapian scriptindex "
                       f"{m.wall:.2f} s wall, {m.cpu:.2f} s CPU")
        disk.sample(f"{ss.label}, Xapian built")
    if "porter" in builds:
        B.remove_path(ss.porter_db)
        os.replace(builds["porter"].out, ss.porter_db)
        engines.append("porter")
    if "xapian" in builds:
        B.remove_path(ss.xapian_db)
        os.replace(builds["xapian"].out, ss.xapian_db)
        engines.append("xapian")
    shutil.rmtree(work, ignore_errors=True)
    timed = {k: t.summary() for k, t in builds.items()}
    ss.save(engines, ng_index, files=files, passages=npassages, note=note, build=timed,
            build_machine=B.machine_header(ng_index, ()), build_load=B.load_average(),
            input_bytes=B.input_bytes(inputs))
    disk.sample(f"{ss.label}, done")


# ---------------------------------------------------------------------------
# Measuring


def latency_queries(queries):
    """The 36 (index 1..36 in the latency files) and the extra words after
    them; returns (list, number of the main ones)."""
    lines = {line for line, _t in queries}
    extra = [(w, B.parse_user_query(w)) for w in EXTRA_QUERIES if w not in lines]
    return queries + extra, len(queries)


def measure_latency(ss, ctx, lat, args, tmp):
    """In-process samples of one size: ({(q, tool): [µs]} by --clock, hits,
    counts, problems, {(q, tool): [µs]} by the other clock)."""
    samples, hits, counts, cpu = {}, {}, {}, {}
    reps = max(1, args.latency_reps // args.rounds)
    qfile = os.path.join(tmp, "latency-queries.tsv")
    xfile = os.path.join(tmp, "xapian-queries.tsv")
    B.write_latency_queries(lat["queries"], qfile)
    B.write_latency_queries(lat["queries"], xfile, xapian=True)
    problems = []
    for r in range(args.rounds):
        if lat["exe"]:
            B.progress(f"{ss.label}: latency.c round {r + 1}/{args.rounds} ({reps} reps)")
            rc = B.run_latency(lat["exe"], ctx["ng_db"] if lat["with_ng"] else None,
                               ss.porter_db, qfile, reps, samples, hits,
                               extra=args.lat_extra if lat["with_ng"] else (), cpu=cpu)
            if rc:
                problems.append(f"latency.c exited {rc} on {ss.label}"
                                + (" (usage: a -x option from --nutgraf-extra it does not map "
                                   "yet? see stderr)" if rc == 2 else " (see stderr)"))
        if lat["xexe"] and ctx["xapian_db"]:
            B.progress(f"{ss.label}: xapian_latency round {r + 1}/{args.rounds}")
            rc = B.run_xapian_latency(lat["xexe"], ctx["xapian_db"], xfile, reps, samples, hits,
                                      counts=counts if r == 0 else None, cpu=cpu)
            if rc:
                problems.append(f"xapian_latency exited {rc} on {ss.label}")
            if args.xapian_snippets:
                B.run_xapian_latency(lat["xexe"], ctx["xapian_db"], xfile, reps, samples, hits,
                                     snippets=True, tool="xapian+snip", cpu=cpu)
    for q, (line, terms) in enumerate(lat["queries"], start=1):
        if ctx["ng_db"] and ctx["ng_query"]:
            counts[(q, "ng")] = B.nutgraf_count(ctx["ng_query"], ctx["ng_db"], line,
                                                args.ng_extra)
        if ctx["sqlite3"]:
            counts[(q, "porter")] = B.porter_count(ss.porter_db, terms)
    if args.clock == "cpu":
        return cpu, hits, counts, problems, samples
    return samples, hits, counts, problems, cpu


def measure_process(ss, ctx, queries, args, tmp, use_hyperfine):
    """Whole-process medians of one size: {tool: [seconds per query]}."""
    medians, failed = {}, []
    for q, (line, terms) in enumerate(queries, start=1):
        cmds = B.query_commands(line, terms, ctx, tools=("nutgraf", "porter", "xapian"))
        if q == 1 or q % 12 == 0:
            B.progress(f"{ss.label}: whole-process query {q}/{len(queries)}")
        med, codes = (B.time_hyperfine(cmds, args.runs, args.warmup, tmp) if use_hyperfine
                      else B.time_loop(cmds, args.runs, args.warmup))
        for t in cmds:
            medians.setdefault(t, []).append(med[t])
            bad = sorted(codes.get(t, set()) - {0, 1})
            if bad:
                failed.append(f"{PROCESS_TITLE[t]} on `{line}` at {ss.label} exited {bad}")
    return medians, failed


# ---------------------------------------------------------------------------
# Tables


def ms(x):
    return None if x is None else x / 1000.0


def growth_row(name, values, nd=2, bold=False):
    """A row: name, one value per size, last ÷ first."""
    g = B.ratio(values[-1], values[0]) if len(values) > 1 else None
    cells = [B.fmt(v, nd) for v in values] + [B.fmt(g, 1) if g is not None else "–"]
    if bold:
        cells = [f"**{c}**" if c != "–" else c for c in cells]
    return [name] + cells


def print_build(sets, have_ng):
    rows, rrows, notes = [], [], []
    for ss in sets:
        b = ss.meta.get("build")
        if not b:
            notes.append(f"{ss.label}: build not timed (indexes from an untimed "
                         "bench/query.py build; pass --reuse DIR --rebuild to time it)")
            continue
        fresh, porter, xap = b.get("fresh"), b.get("porter"), b.get("xapian")

        def w(t):
            return t["wall"] if t else None

        def cpu(t):
            return t["cpu"] if t else None

        def size(t):
            return t["size"] / 1048576 if t else None
        rows.append([ss.label, f"{ss.meta.get('files', '?'):,}", f"{ss.meta.get('passages', 0):,}",
                     B.fmt(w(fresh)), B.fmt(cpu(fresh)), B.fmt(w(porter)), B.fmt(cpu(porter)),
                     B.fmt(B.ratio(w(fresh), w(porter))), B.fmt(B.ratio(cpu(fresh), cpu(porter))),
                     B.fmt(w(xap), 1), B.fmt(cpu(xap), 1), B.fmt(size(fresh), 1),
                     B.fmt(size(porter), 1),
                     B.fmt(B.ratio(size(fresh), size(porter))), B.fmt(size(xap), 1)])
        if fresh and b.get("full") and b.get("nochange"):
            full, same = b["full"], b["nochange"]
            rrows.append([ss.label, B.fmt(w(fresh)), B.fmt(w(full)),
                          B.fmt(B.ratio(w(full), w(fresh))), B.fmt(B.ratio(cpu(full), cpu(fresh))),
                          B.fmt(size(full), 1), B.fmt(w(same), 3),
                          B.fmt(100 * B.ratio(w(same), w(fresh)), 1) + " %",
                          B.fmt(100 * B.ratio(cpu(same), cpu(fresh)), 1) + " %"])
        runs = {k: t["runs"] for k, t in b.items()}
        bad = [f"{t['name']} exit {t['bad_rc']}" for t in b.values() if t.get("bad_rc")]
        notes.append(f"{ss.label}: built and timed {ss.meta.get('built', '?')} (load average "
                     f"{ss.meta.get('build_load', '?')}); runs: nutgraf {runs.get('fresh', 0)}, "
                     f"porter {runs.get('porter', 0)}, Xapian {runs.get('xapian', 0)}"
                     + (f"; **failed: {', '.join(bad)}**" if bad else ""))
    if rows:
        print("## Index build (bench/index.py's measure: wall seconds, median of the "
              "alternating runs)\n")
        print(B.md_table(["corpus", "files", "passages", "nutgraf-index wall s", "CPU s",
                          "sqlite3 porter wall s", "CPU s", "nutgraf ÷ porter wall", "CPU",
                          "Xapian scriptindex wall s", "CPU s", "nutgraf MiB", "porter MiB",
                          "nutgraf ÷ porter size", "Xapian MiB"], rows))
        print()
    if rrows and have_ng:
        print("## nutgraf re-runs on the built index (same folders)\n")
        print(B.md_table(["corpus", "fresh build s", "`--full` rebuild s", "full ÷ fresh wall",
                          "CPU", "MiB after --full", "nothing changed s",
                          "nothing changed ÷ fresh wall", "CPU"], rrows))
        print()
    for n in notes:
        print(f"- {n}")
    if notes:
        print("- nutgraf-index and the sqlite3 shell (`sqlite3 -bail DB < load.sql`, one "
              "transaction) alternate, then nutgraf's re-run with nothing changed and its "
              "`--full` rebuild of that fresh index; Xapian `scriptindex --stemmer=english` "
              "after them. Index sizes right after a fresh build (with -wal).\n")


def print_latency(sets, res, nmain, lat_queries, args, have_ng):
    labels = [ss.label for ss in sets]
    tools = [t for t in ("ng", "porter", "xapian", "xapian+snip")
             if any((1, t) in res[ss.label][0] for ss in sets)]
    def summaries(which):
        """{tool: [geomean p50 ms per size]}, {tool: [pooled p99 ms per size]}
        from res[...][WHICH] (0: the --clock samples, 4: the other clock's)."""
        p50 = {t: [] for t in tools}
        p99 = {t: [] for t in tools}
        for ss in sets:
            samples = res[ss.label][which]
            for t in tools:
                per_q = [B.percentile(samples[(q, t)], 50)
                         for q in range(1, nmain + 1) if samples.get((q, t))]
                p50[t].append(ms(B.geomean(per_q)) if len(per_q) == nmain else None)
                pooled = [x for q in range(1, nmain + 1) for x in samples.get((q, t), [])]
                p99[t].append(ms(B.percentile(pooled, 99)) if pooled else None)
        return p50, p99

    p50, p99 = summaries(0)
    hdr = ["engine"] + labels + [
        f"growth ×{sets[0].copies}→×{sets[-1].copies}" if len(sets) > 1 else "growth"]

    def ratio_rows(table, nd):
        rows = []
        if "ng" in table:
            for peer in ("xapian", "porter"):
                if peer in table:
                    rows.append(growth_row(f"nutgraf ÷ {ENGINE_TITLE[peer]}",
                                           [B.ratio(a, b) for a, b in zip(table["ng"], table[peer])],
                                           nd=1, bold=peer == "xapian"))
        return rows

    reps = (args.latency_reps // args.rounds) * args.rounds
    clock = "" if args.clock == "wall" else ", CPU time"
    print(f"## In-process latency, warm: geometric mean of the per-query p50 over the "
          f"{nmain} queries of queries.txt, ms{clock}\n")
    rows = [growth_row(ENGINE_TITLE[t], p50[t], bold=t == "ng") for t in tools]
    print(B.md_table(hdr, rows + ratio_rows(p50, 1)))
    print(f"\n## In-process latency: p99 pooled over all searches of the {nmain} queries, "
          f"ms{clock}\n")
    rows = [growth_row(ENGINE_TITLE[t], p99[t], bold=t == "ng") for t in tools]
    print(B.md_table(hdr, rows + ratio_rows(p99, 1)))

    other = "CPU" if args.clock == "wall" else "wall"
    rows = []
    for t in tools:
        vals = []
        for ss in sets:
            mine, theirs = res[ss.label][0], res[ss.label][4]
            rs = [B.ratio(B.percentile(mine[(q, t)], 50), B.percentile(theirs[(q, t)], 50))
                  for q in range(1, nmain + 1) if mine.get((q, t)) and theirs.get((q, t))]
            r = B.geomean(rs) if len(rs) == nmain else None
            vals.append(r if args.clock == "wall" or r is None else 1 / r)
        rows.append([ENGINE_TITLE[t]] + [B.fmt(v) for v in vals])
    o50, o99 = summaries(4)
    if any(v is not None for vs in o50.values() for v in vs):
        print(f"\n## The same searches timed by {other} time: geometric mean of the p50 "
              f"(and pooled p99), ms\n")
        orows = [growth_row(ENGINE_TITLE[t], o50[t], bold=t == "ng") for t in tools]
        orows += ratio_rows(o50, 1)
        orows += [growth_row(f"{ENGINE_TITLE[t]} p99", o99[t]) for t in tools]
        print(B.md_table(hdr, orows))
    print("\n## How busy the machine was: wall ÷ CPU time of the same searches "
          "(geometric mean over the 36 of the p50 ratio; 1.00 = a core to itself)\n")
    print(B.md_table(["engine"] + labels, rows))
    print(f"\n- The tables here are from {args.clock} time (`--clock`); the same runs' "
          f"{other}-time figures differ by this factor.")

    print("\n## In-process p50 per query, ms (and matching passages at the smallest size)\n")
    index = {line: q for q, (line, _t) in enumerate(lat_queries, start=1)}
    rows = []
    for line in SPOTLIGHT:
        q = index.get(line)
        if q is None:
            continue
        for t in tools:
            vals = []
            for ss in sets:
                xs = res[ss.label][0].get((q, t))
                vals.append(ms(B.percentile(xs, 50)) if xs else None)
            count = res[sets[0].label][2].get((q, "xapian" if t.startswith("xapian") else t), "–")
            row = growth_row(ENGINE_TITLE[t], vals)
            rows.append([f"`{line}`"] + row + [f"{count:,}" if isinstance(count, int) else count])
        if "ng" in tools and "xapian" in tools:
            vals = []
            for ss in sets:
                a, b = res[ss.label][0].get((q, "ng")), res[ss.label][0].get((q, "xapian"))
                vals.append(B.ratio(B.percentile(a, 50), B.percentile(b, 50)) if a and b else None)
            rows.append([f"`{line}`"] + growth_row("nutgraf ÷ Xapian", vals, nd=1) + [""])
    print(B.md_table(["query", "engine"] + hdr[1:] + ["matches"], rows,
                     right=range(2, len(hdr) + 2)))
    extra = [w for w in EXTRA_QUERIES if index.get(w, 0) > nmain]
    print(f"\n- {reps} timed searches per query and engine after 10 warm-up, in "
          f"{args.rounds} round(s) of latency.c (nutgraf and porter alternating query by "
          "query) then xapian_latency; LIMIT 10. nutgraf: `ng_search` + every "
          "`ng_results_next` (snippets) + `ng_results_free`"
          + (f", options `{shlex.join(args.lat_extra)}`" if args.lat_extra and have_ng else "")
          + "; porter: prepare + step (rowid, snippet()) + finalize of the same MATCH ... "
          "ORDER BY rank LIMIT 10; Xapian: QueryParser as quest sets it up (english, "
          "STEM_SOME, quest's stop words, default op AND, FLAG_DEFAULT|FLAG_WILDCARD) + "
          "Enquire (BM25) + `get_mset(0, 10)` + each hit's document data, no snippet"
          + ("; Xapian + snippet adds `MSet::snippet` of each hit's text"
             if args.xapian_snippets else "") + ". Nearest-rank percentiles.")
    if extra:
        print(f"- {', '.join(f'`{w}`' for w in extra)} are not in queries.txt: measured for "
              "the per-query rows only, outside the mean and the pooled p99.")
    if sets[-1].copies > 1:
        print("- At ×N every passage is there N times, so the ten best hits are copies of a "
              "few passages with tied scores (which also makes Xapian's snippets cheaper at "
              "×64 than at ×1: the same text ten times). A nutgraf that collapses duplicate "
              "stories must be measured with that off (`--nutgraf-extra`).")


def print_counts(sets, res, lat_queries):
    base = sets[0]
    c0 = res[base.label][2]
    rows, off = [], []
    for q, (line, _t) in enumerate(lat_queries, start=1):
        cells = [c0.get((q, t), "–") for t in ("ng", "porter", "xapian")]
        rows.append([q, f"`{line}`"] + [f"{c:,}" if isinstance(c, int) else c for c in cells])
        for ss in sets[1:]:
            k = ss.copies // base.copies
            for t in ("ng", "porter", "xapian"):
                a, b = c0.get((q, t)), res[ss.label][2].get((q, t))
                if isinstance(a, int) and isinstance(b, int) and b != a * k:
                    off.append(f"`{line}` {ENGINE_TITLE[t]}: {a:,} at {base.label}, "
                               f"{b:,} at {ss.label}")
    print(f"\n## Matching passages per query at {base.label} (exact counts)\n")
    print(B.md_table(["#", "query", "nutgraf", "FTS5 porter", "Xapian"], rows, right=(2, 3, 4)))
    if len(sets) > 1:
        if off:
            print("\n- **Not proportional to the copies:** " + "; ".join(off) + ".")
        else:
            print(f"\n- At {', '.join(ss.label for ss in sets[1:])} every count is exactly the "
                  "number of copies times this one, for every engine.")
    print("- nutgraf: `nutgraf-query --count`; porter: `count(*)` of the MATCH; Xapian: "
          "`get_mset(0, 0, doccount)`'s exact count. nutgraf and porter stem every word "
          "(Snowball English / Porter); quest's STEM_SOME leaves capitalised words and the "
          "words of a phrase unstemmed, and nutgraf adds variant spellings and synonyms.")


def print_process(sets, pres, nq, args, use_hyperfine):
    tools = [t for t in ("nutgraf", "porter", "xapian")
             if any(t in pres[ss.label][0] for ss in sets)]
    hdr = ["tool"] + [ss.label for ss in sets] + [
        f"growth ×{sets[0].copies}→×{sets[-1].copies}" if len(sets) > 1 else "growth"]
    g = {t: [B.geomean(pres[ss.label][0].get(t, [])) * 1000
             if len(pres[ss.label][0].get(t, [])) == nq else None for ss in sets]
         for t in tools}
    rows = [growth_row(PROCESS_TITLE[t], g[t], nd=1, bold=t == "nutgraf") for t in tools]
    if "nutgraf" in g:
        for peer in ("xapian", "porter"):
            if peer in g:
                rows.append(growth_row(f"nutgraf-query ÷ {PROCESS_TITLE[peer]}",
                                       [B.ratio(a, b) for a, b in zip(g["nutgraf"], g[peer])],
                                       nd=2, bold=peer == "xapian"))
    timing = "hyperfine" if use_hyperfine else "alternating subprocess loop"
    print(f"\n## Whole process: geometric mean over the {nq} queries of the median time, ms "
          f"({timing}, {args.runs} runs after {args.warmup} warm-up)\n")
    print(B.md_table(hdr, rows))
    print("\n- `nutgraf-query --index IDX --limit 10 "
          + (shlex.join(args.ng_extra) + " " if args.ng_extra else "") + "QUERY`; "
          "`sqlite3 -readonly porter.db \"SELECT rowid, snippet(...) ... MATCH ... ORDER BY "
          f"rank LIMIT 10\"`; `quest -d DB -m 10 -o {B.XAPIAN_DEFAULT_OP} -f {B.XAPIAN_FLAGS} "
          "QUERY`; output to /dev/null.")
    for ss in sets:
        for f in pres[ss.label][1]:
            print(f"- **Failed:** {f}.")


# ---------------------------------------------------------------------------


def main():
    started = time.perf_counter()
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
            "hyperfine": B.which("hyperfine") is not None and not args.no_hyperfine}
    if not (ng_query or have["sqlite3"] or have["xapian"]):
        B.skip("neither nutgraf nor a peer (sqlite3, Xapian) is available "
               "(build nutgraf; run bench/setup)")
    queries = B.read_queries(args.queries)
    lat_queries, nmain = latency_queries(queries)

    print("# nutgraf at archive scale: nutgraf vs FTS5 porter vs Xapian\n")
    print(B.machine_header(ng_index, B.PEER_VERSIONS + (("g++", ["g++", "--version"]),)) + "\n")
    print(f"- Load average at the start: {B.load_average()}.")
    if not ng_query:
        print(f"- Not measured: nutgraf (not built in {B.build_dir(args.build)}).")
    for tool, why in (("sqlite3", "sqlite3 shell"), ("xapian", "Xapian scriptindex/quest")):
        if not have[tool]:
            print(f"- Not measured: {why} (run bench/setup).")

    tmp = B.make_tmpdir(args.tmpdir, "scale")
    root = os.path.abspath(args.reuse) if args.reuse else os.path.join(tmp, "indexes")
    os.makedirs(root, exist_ok=True)
    disk = Disk(tmp, root)
    try:
        sets, reused = [], []
        for n in args.copies:
            ss = B.ScaleSet(root, corpus, n)
            want = [e for e, ok in (("nutgraf", ng_index), ("porter", have["sqlite3"]),
                                    ("xapian", have["xapian"])) if ok]
            if args.rebuild or not all(ss.has(e) for e in want):
                build_scale(ss, ng_index, have, args, tmp, disk)
            else:
                B.progress(f"{ss.label}: reusing the indexes in {ss.dir}")
                reused.append(ss)
                ss.inputs()
                disk.sample(f"{ss.label}, reused")
            sets.append(ss)
        built_s = time.perf_counter() - started

        lat = {"queries": lat_queries, "exe": None, "with_ng": False, "xexe": None}
        res = {}
        notes = []
        if not args.no_latency:
            lib = B.find_libnutgraf(args.build) if ng_index else None
            if B.which(args.cc):
                lat["exe"] = B.build_latency(args.cc, tmp, lib, args.latency_libs) if lib else None
                lat["with_ng"] = lat["exe"] is not None
                if lat["exe"] is None:
                    lat["exe"] = B.build_latency(args.cc, tmp, None)
                    notes.append("latency.c built without nutgraf (see stderr): porter only")
            else:
                notes.append(f"no C compiler `{args.cc}`: nutgraf and porter not timed in process")
            if have["xapian"]:
                lat["xexe"], why = B.build_xapian_latency(args.cxx, tmp)
                if not lat["xexe"]:
                    notes.append(f"Xapian not timed in process: {why}")
        for ss in sets:
            ctx = {"ng_query": ng_query, "ng_db": ss.ng_db if ss.has("nutgraf") else None,
                   "ng_extra": args.ng_extra, "sqlite3": have["sqlite3"],
                   "porter_db": ss.porter_db,
                   "xapian_db": ss.xapian_db if have["xapian"] and ss.has("xapian") else None}
            if not args.no_latency:
                res[ss.label] = measure_latency(ss, ctx, lat, args, tmp)
                notes += res[ss.label][3]
            else:
                res[ss.label] = ({}, {}, {}, [], {})
        lat_s = time.perf_counter() - started - built_s
        pres = {}
        if not args.no_process:
            for ss in sets:
                ctx = {"ng_query": ng_query, "ng_db": ss.ng_db if ss.has("nutgraf") else None,
                       "ng_extra": args.ng_extra, "sqlite3": have["sqlite3"],
                       "porter_db": ss.porter_db,
                       "xapian_db": ss.xapian_db if have["xapian"] and ss.has("xapian") else None}
                pres[ss.label] = measure_process(ss, ctx, queries, args, tmp, have["hyperfine"])
        proc_s = time.perf_counter() - started - built_s - lat_s

        print(f"- Load average at the end: {B.load_average()}.")
        for ss in reused:
            stale = ss.stale_note(ng_index)
            print(f"- {ss.label}: indexes reused from `{ss.dir}` (built {ss.meta.get('built')})"
                  + (f"; **{stale}**" if stale else "") + ".")
        for n in notes:
            print(f"- **{n}**.")
        print()
        if not args.no_latency:
            print_latency(sets, res, nmain, lat_queries, args, bool(ng_index))
        if not args.no_process:
            print_process(sets, pres, len(queries), args, have["hyperfine"])
        if not args.no_latency:
            print_counts(sets, res, lat_queries)
        print()
        print_build(sets, bool(ng_index))
        total = time.perf_counter() - started
        for ss in sets:
            print(f"- {ss.label}: {ss.meta.get('files', '?'):,} files, "
                  f"{ss.meta.get('input_bytes', 0) / 1e6:.0f} MB, "
                  f"{ss.meta.get('passages', 0):,} passages; {ss.meta.get('note', '')}.")
        print(f"- Copies are hard links (`{root}/x<N>/inputs/copyK/<folder>`), each file "
              "read under its own path; ×1 indexes the corpus in place.")
        print(f"- Run time {total / 60:.1f} min: copies and indexes {built_s / 60:.1f} min"
              + (" (reused)" if len(reused) == len(sets) else "")
              + f", in-process {lat_s / 60:.1f}, whole-process {proc_s / 60:.1f}. Peak disk used "
              f"by the scratch and index directories: {disk.peak / 2**30:.2f} GiB "
              f"({disk.when}); the indexes now take {B.disk_usage(root) / 2**30:.2f} GiB.")
    finally:
        if args.keep or args.reuse:
            shutil.rmtree(os.path.join(tmp, "work"), ignore_errors=True)
            for name in os.listdir(tmp):
                if name.startswith("work-"):
                    shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)
        if args.reuse:
            B.progress(f"indexes kept in {root} (--reuse {root} searches them again)")
            if not args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
        elif args.keep:
            B.progress(f"scratch kept in {tmp}; --reuse {root} searches its indexes again")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

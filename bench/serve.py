#!/usr/bin/env python3
"""nutgraf-serve under load: requests/s and p50/p99 latency measured by wrk
(a Lua script cycling the queries of bench/queries.txt through /search) at
BBC x1 and x8, with 1, 4 and 16 connections, with the index quiet and while
nutgraf-index adds documents to it; next to the in-process latency of the
same queries through libnutgraf (bench/latency.c: ng_search and reading the
ten hits), and the server's start-up time (spawn to the first /health
answer).  Markdown on stdout, progress on stderr.

usage: python3 bench/serve.py [--build DIR] [--corpus DIR] [--duration S]
                              [--runs N] [--copies K] [--quick] [--tmpdir DIR]
                              [--keep]

Each wrk run is made --runs times (default 3) and the table gives the
medians, with the machine's load average (uptime's 1-minute figure) at
the start of the runs; the in-process figures are medians of as many runs
of bench/latency.c.  The server-side p50/p99 are the times nutgraf-serve
logged for the same requests (first line read to answer written), without
the client, the wire and waiting for a CPU to wake either side: next to
wrk's they tell what the server costs and what a busy machine adds.

Needs wrk (apt-get install wrk), a build with nutgraf-serve, and the BBC
corpus (../shared/corpora/bbc-news); skips (exit 0) without them.  On a
2-core machine wrk, the server and the indexer share the two cores: read
the figures as what one such machine does with all three on it.
"""
import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

WRK_LUA = """-- Cycles through the queries; each wrk thread starts at another one.
local paths = {%s}
local i = 0
function init(args) i = math.random(#paths) end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--corpus", default=os.path.join(B.DEFAULT_SHARED, "corpora", "bbc-news"))
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement, medians reported (default 3)")
    ap.add_argument("--copies", type=int, default=8, help="the large corpus: K copies of BBC (default 8)")
    ap.add_argument("--quick", action="store_true", help="3-second runs, 2 copies")
    ap.add_argument("--tmpdir", default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.copies, args.runs = 3, 2, 1
    return args


def wait_health(url, proc, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.002)
    return False


def start_server(serve, index, tmp, env_extra=None):
    """Starts nutgraf-serve on a free port; (proc, url, start-up seconds)."""
    log = open(os.path.join(tmp, "serve.log"), "ab")
    env = dict(os.environ, **(env_extra or {}))
    t0 = time.monotonic()
    global LOG, SERVER
    LOG = os.path.join(tmp, "requests.log")
    proc = SERVER = subprocess.Popen([serve, "-i", index, "--listen", "127.0.0.1:0", "--timeout", "30",
                             "--max-connections", "512", "--log", LOG],
                            stderr=subprocess.PIPE, env=env)
    line = proc.stderr.readline().decode()
    m = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", line)
    if not m:
        raise SystemExit("nutgraf-serve did not start: " + line)
    url = m.group(1)
    threading.Thread(target=lambda: shutil.copyfileobj(proc.stderr, log), daemon=True).start()
    ok = wait_health(url, proc)
    return proc, url, (time.monotonic() - t0) if ok else None


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


LOG = None  # the request log of the servers started (start_server's --log)
SERVER = None  # the server being measured (its CPU time is read around each run)


def cpu_seconds(pid):
    """User + system CPU seconds of process pid (all its threads) so far."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def server_times(since):
    """The times (ms) nutgraf-serve logged for the requests after byte
    offset since of its log: each request from its first line read to its
    answer written to the socket, without the client's side or the wire."""
    ms = []
    with open(LOG, "rb") as f:
        f.seek(since)
        for line in f:
            m = re.search(rb" ([\d.]+)ms$", line.rstrip())
            if m:
                ms.append(float(m.group(1)))
    return ms


def run_wrk(url, lua, conns, duration):
    threads = min(conns, 2)
    since = os.path.getsize(LOG) if os.path.exists(LOG) else 0
    cpu0 = cpu_seconds(SERVER.pid) if SERVER else None
    p = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", "%ds" % duration, "--latency",
                        "-s", lua, url], capture_output=True, text=True)
    ms = server_times(since) if os.path.exists(LOG) else []
    cpu1 = cpu_seconds(SERVER.pid) if SERVER else None
    out = p.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    pct = {k: float(v) * UNITS[u] for k, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    total = re.search(r"(\d+) requests in", out)
    return {"rps": float(rps.group(1)) if rps else None, "p50": pct.get("50"), "p99": pct.get("99"),
            "errors": errors, "requests": int(total.group(1)) if total else 0, "raw": out,
            "s50": B.percentile(ms, 50) if ms else None, "s99": B.percentile(ms, 99) if ms else None,
            "cpu_ms": (cpu1 - cpu0) * 1000 / len(ms) if ms and cpu0 is not None and cpu1 is not None else None}


class Indexer:
    """nutgraf-index adding a batch of copied articles to the index, again
    and again, until stopped: a newsroom's feed arriving during the test."""

    def __init__(self, nutgraf_index, index, pool_files, root):
        self.cmd, self.index, self.pool, self.root = nutgraf_index, index, pool_files, root
        self.stop_flag, self.runs, self.added, self.failures = False, 0, 0, 0
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        batch = 0
        while not self.stop_flag:
            dest = os.path.join(self.root, "feed%04d" % batch)
            os.makedirs(dest, exist_ok=True)
            for i, f in enumerate(self.pool[(batch * 50) % len(self.pool):][:50]):
                shutil.copyfile(f, os.path.join(dest, "%03d-%s" % (i, os.path.basename(f))))
            r = subprocess.run([self.cmd, "-q", "-i", self.index, self.root], capture_output=True)
            self.runs += 1
            self.added += 50
            self.failures += r.returncode != 0
            batch += 1
            time.sleep(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag = True
        self.thread.join()


def in_process(latency_exe, index, queries, tmp):
    """p50/p99 in ms of ng_search + ten hits over all queries (bench/latency.c),
    and the mean CPU time of one (the searching thread's clock)."""
    porter = os.path.join(tmp, "empty-porter.db")
    if not os.path.exists(porter):
        db = sqlite3.connect(porter)
        db.execute("CREATE VIRTUAL TABLE p USING fts5(body, tokenize='porter')")
        db.close()
    qfile = os.path.join(tmp, "latency.tsv")
    with open(qfile, "w", encoding="utf-8") as f:
        for q in queries:
            f.write("%s\ta\n" % q)
    p = subprocess.run([latency_exe, "-r", "100", "-w", "5", "-l", "10", index, porter, qfile],
                       capture_output=True, text=True)
    rows = [s.split("\t") for s in p.stdout.splitlines() if s.startswith("sample") and "\tng\t" in s]
    ns = [int(r[3]) for r in rows]
    cpu = [int(r[5]) for r in rows if len(r) > 5]
    if not ns:
        return None, None, None
    return B.percentile(ns, 50) / 1e6, B.percentile(ns, 99) / 1e6, sum(cpu) / len(cpu) / 1e6 if cpu else None


def build_latency(tmp, build):
    lib = None
    for root, _, files in os.walk(build):
        if "libnutgraf.a" in files:
            lib = os.path.join(root, "libnutgraf.a")
    if not lib:
        return None
    exe = os.path.join(tmp, "latency")
    cmd = ["cc", "-O2", "-std=c11", "-o", exe, os.path.join(B.BENCH_DIR, "latency.c"),
           "-I" + os.path.join(B.REPO_ROOT, "include"), lib, "-lsqlite3", "-lstemmer", "-ljansson", "-lm",
           "-lpthread"]
    return exe if subprocess.run(cmd, capture_output=True).returncode == 0 else None


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def wrk_median(url, lua, conns, duration, runs, indexer=None):
    """runs wrk runs (each while a fresh Indexer works, when given): the
    median rps, p50 and p99, the summed errors, the 1-minute load average
    before each run, and the indexer's runs and documents added."""
    got, loads, ix_runs, ix_added, ix_failures = [], [], 0, 0, 0
    for _ in range(runs):
        loads.append(os.getloadavg()[0])
        if indexer:
            with indexer() as ix:
                got.append(run_wrk(url, lua, conns, duration))
            ix_runs, ix_added, ix_failures = ix_runs + ix.runs, ix_added + ix.added, ix_failures + ix.failures
        else:
            got.append(run_wrk(url, lua, conns, duration))
    return {"rps": median([g["rps"] for g in got]), "p50": median([g["p50"] for g in got]),
            "p99": median([g["p99"] for g in got]), "s50": median([g["s50"] for g in got]),
            "s99": median([g["s99"] for g in got]), "cpu_ms": median([g["cpu_ms"] for g in got]),
            "errors": sum(g["errors"] for g in got),
            "requests": sum(g["requests"] for g in got), "all_rps": [g["rps"] for g in got],
            "all_p99": [g["p99"] for g in got], "load": loads, "ix_runs": ix_runs, "ix_added": ix_added,
            "ix_failures": ix_failures}


def fmt(x, spec="%.2f"):
    return spec % x if x is not None else "–"


def main():
    args = parse_args()
    build = B.build_dir(args.build)
    serve = B.executable(os.path.join(build, "serve", "nutgraf-serve"))
    index_bin = B.executable(os.path.join(build, "indexer", "nutgraf-index"))
    if not B.which("wrk"):
        B.skip("wrk is not installed (apt-get install wrk)")
    if not serve or not index_bin:
        B.skip("no nutgraf-serve or nutgraf-index in %s (cmake --build %s)" % (build, args.build))
    if not os.path.isdir(args.corpus):
        B.skip("no corpus at %s" % args.corpus)
    queries = [line.strip() for line in open(os.path.join(B.BENCH_DIR, "queries.txt"), encoding="utf-8")
               if line.strip() and not line.startswith("#")]
    tmp = tempfile.mkdtemp(prefix="nutgraf-serve-bench.", dir=args.tmpdir)
    try:
        print(B.machine_header(os.path.join(build, "query", "nutgraf-query"), (("wrk", ["wrk", "--version"]),)))
        lua = os.path.join(tmp, "queries.lua")
        with open(lua, "w", encoding="utf-8") as f:
            f.write(WRK_LUA % ", ".join('"/search?%s"' % urllib.parse.urlencode({"q": q}) for q in queries))
        latency = build_latency(tmp, build)
        inputs = B.corpus_inputs(args.corpus)
        pool = sorted(B.list_files(inputs))
        rows, starts, lat_cpu = [], [], {}
        for label, copies in (("BBC ×1", 1), ("BBC ×%d" % args.copies, args.copies)):
            B.progress("%s: building the index" % label)
            roots = []
            for c in range(copies):
                if c == 0:
                    roots += inputs
                else:
                    d = os.path.join(tmp, "copies", "c%d" % c)
                    for i in inputs:
                        shutil.copytree(i, os.path.join(d, os.path.basename(i)))
                    roots.append(d)
            index = os.path.join(tmp, "index-%d.db" % copies)
            subprocess.run([index_bin, "-q", "-i", index] + roots, check=True)
            lats = [in_process(latency, index, queries, tmp) for _ in range(args.runs)] if latency else []
            lat50, lat99 = median([x[0] for x in lats]), median([x[1] for x in lats])
            lat_cpu[label] = median([x[2] for x in lats])
            if copies == 1:
                B.progress("%s: thread per connection, 4 connections" % label)
                proc, url, _ = start_server(serve, index, tmp, {"NG_SERVE_THREAD_PER_CONNECTION": "1"})
                try:
                    tpc = wrk_median(url, lua, 4, args.duration, args.runs)
                finally:
                    stop(proc)
            proc, url, startup = start_server(serve, index, tmp)
            starts.append((label, startup))
            try:
                # Every quiet run first: the indexer's documents stay in
                # the index, and the quiet figures are of the corpus alone.
                quiet = {}
                for conns in (1, 4, 16):
                    B.progress("%s: %d connections, index quiet (%d runs)" % (label, conns, args.runs))
                    quiet[conns] = wrk_median(url, lua, conns, args.duration, args.runs)
                for conns in (1, 4, 16):
                    B.progress("%s: %d connections, nutgraf-index adding documents" % (label, conns))
                    feed = os.path.join(tmp, "feed-%d-%d" % (copies, conns))
                    busy = wrk_median(url, lua, conns, args.duration, args.runs,
                                      lambda: Indexer(index_bin, index, pool, feed))
                    rows.append((label, conns, quiet[conns], busy, lat50, lat99))
            finally:
                stop(proc)
        print("\n## nutgraf-serve under wrk (/search, %d queries of bench/queries.txt in turn, %d s a run, "
              "medians of %d runs)\n" % (len(queries), args.duration, args.runs))
        print("| corpus | connections | req/s quiet | p50 ms | p99 ms | req/s while indexing | p50 ms | p99 ms "
              "| wrk errors | failed index runs | index runs meanwhile (docs added) | server-side p50 ms | server-side p99 ms "
              "| in-process p50 ms | in-process p99 ms | p50 ÷ in-process | p99 ÷ in-process "
              "| load (1 min) at the runs |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for label, conns, q, b, l50, l99 in rows:
            r50 = q["p50"] / l50 if q["p50"] and l50 else None
            r99 = q["p99"] / l99 if q["p99"] and l99 else None
            print("| %s | %d | %s | %s | %s | %s | %s | %s | %d | %d | %d (%d) | %s | %s | %s | %s | %s | %s | %s |" % (
                label, conns, fmt(q["rps"], "%.0f"), fmt(q["p50"]), fmt(q["p99"]), fmt(b["rps"], "%.0f"),
                fmt(b["p50"]), fmt(b["p99"]), q["errors"] + b["errors"], b["ix_failures"], b["ix_runs"],
                b["ix_added"], fmt(q["s50"]), fmt(q["s99"]), fmt(l50, "%.3f"), fmt(l99, "%.3f"), fmt(r50), fmt(r99),
                " ".join("%.2f" % x for x in q["load"] + b["load"])))
        print("\nEach run's req/s and p99 (quiet): " + "; ".join(
            "%s %d: %s req/s, p99 %s ms" % (label, conns, "/".join(fmt(x, "%.0f") for x in q["all_rps"]),
                                            "/".join(fmt(x) for x in q["all_p99"]))
            for label, conns, q, *_ in rows) + ".")
        ncpu = len(os.sched_getaffinity(0))
        print("\nThe server's CPU time a request (user + system, all threads, quiet runs), and the most requests "
              "a second %d CPUs doing nothing else could answer at that cost (wrk needs some of them too): " % ncpu +
              "; ".join("%s %d: %s ms (%s/s)" % (label, conns, fmt(q["cpu_ms"], "%.3f"),
                                                 fmt(ncpu * 1000 / q["cpu_ms"] if q["cpu_ms"] else None, "%.0f"))
                        for label, conns, q, *_ in rows) + ".")
        print("\nIn process, the mean CPU time of ng_search and its ten hits (bench/latency.c), and the server's "
              "CPU time a request (4 connections) over it: " + "; ".join(
                  "%s %s ms, ×%s" % (label, fmt(c, "%.3f"), fmt(
                      next((q["cpu_ms"] for lb, conns, q, *_ in rows if lb == label and conns == 4), None) / c
                      if c and next((q["cpu_ms"] for lb, conns, q, *_ in rows if lb == label and conns == 4), None)
                      else None)) for label, c in lat_cpu.items()) +
              " (a request is also ng_count for the total, ng_explain, the JSON and HTTP).")
        print("\nThread per connection (NG_SERVE_THREAD_PER_CONNECTION=1), BBC ×1, 4 connections, index quiet: "
              "%s req/s, p50 %s ms, p99 %s ms (the pool above: %s req/s)." % (
                  fmt(tpc["rps"], "%.0f"), fmt(tpc["p50"]), fmt(tpc["p99"]),
                  next(fmt(q["rps"], "%.0f") for label, c, q, *_ in rows if c == 4)))
        print("\nStart-up, from spawn to the first /health answer: " + "; ".join(
            "%s %s ms" % (label, fmt(s * 1000 if s else None, "%.0f")) for label, s in starts) + ".")
    finally:
        if args.keep:
            B.progress("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

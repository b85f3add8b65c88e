"""Shared helpers for the benchmark and evaluation scripts in bench/.

This module owns what index.py, query.py and relevance.py have in common:
finding the nutgraf binaries and the peer tools, the machine header line,
running a child process under measurement (wall time, CPU time from wait4,
peak RSS from GNU time), getting nutgraf's exact passages out of its index (or, when
nutgraf is not built, splitting files on blank lines the same way), and
preparing the same passages for the peers: an SQL script for a plain FTS5
'porter' table and a scriptindex input file for Xapian.

Invariants: nothing here writes outside the temporary directory the caller
passes in, nothing reads /work/shared except through paths the caller gives,
and no corpus text is ever written anywhere but that temporary directory.
Standard library only.
"""

import datetime
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
DEFAULT_SHARED = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared"))

# A word as FTS5's unicode61 tokenizer sees it: a run of letters and digits.
WORD_RE = re.compile(r"[^\W_]+")

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "bench"


def progress(msg):
    """One progress line on stderr."""
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def skip(msg):
    """Say clearly why the benchmark cannot run, and exit 0."""
    print(f"Skipped: {msg}")
    progress(f"skipped: {msg}")
    sys.exit(0)


# ---------------------------------------------------------------------------
# Tools and machine information


def build_dir(arg):
    """The build directory; a relative path is taken from the repo root."""
    return arg if os.path.isabs(arg) else os.path.join(REPO_ROOT, arg)


def executable(path):
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def nutgraf_binaries(build):
    """(nutgraf-index, nutgraf-query) paths in BUILD, each None if absent."""
    b = build_dir(build)
    return (executable(os.path.join(b, "indexer", "nutgraf-index")),
            executable(os.path.join(b, "query", "nutgraf-query")))


def which(name):
    return shutil.which(name)


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (out.stdout or out.stderr or "").strip()
    return text.splitlines()[0].strip() if text else None


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def mem_total_gib():
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError):
        pass
    return None


def machine_header(nutgraf_bin=None, tools=()):
    """One Markdown line: nproc, CPU, memory, SQLite and tool versions, date."""
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    parts = [f"nproc {nproc}", f"CPU {cpu_model()}"]
    mem = mem_total_gib()
    if mem:
        parts.append(f"RAM {mem:.0f} GiB")
    shell = which("sqlite3")
    if shell:
        v = first_line([shell, "--version"])
        parts.append(f"SQLite {v.split()[0] if v else '?'} (sqlite3 shell)")
    parts.append(f"SQLite {sqlite3.sqlite_version} (python3 sqlite3)")
    if nutgraf_bin:
        v = first_line([nutgraf_bin, "--version"])
        parts.append(v or "nutgraf (version unknown)")
    else:
        parts.append("nutgraf not built")
    for name, cmd in tools:
        if which(cmd[0]):
            v = first_line(cmd)
            parts.append(v if v else name)
    parts.append(datetime.datetime.now(datetime.timezone.utc)
                 .strftime("%Y-%m-%d %H:%M UTC"))
    return "**Machine:** " + " · ".join(parts)


PEER_VERSIONS = (("Xapian", ["scriptindex", "--version"]),
                 ("ripgrep", ["rg", "--version"]),
                 ("hyperfine", ["hyperfine", "--version"]))


# ---------------------------------------------------------------------------
# Running children under measurement


class Measured:
    """Wall seconds, CPU seconds (user+sys), peak RSS in KiB, exit code."""

    def __init__(self, wall, cpu, maxrss_kib, rc, stderr):
        self.wall, self.cpu, self.maxrss_kib = wall, cpu, maxrss_kib
        self.rc, self.stderr = rc, stderr


GNU_TIME = "/usr/bin/time"


def gnu_time_works():
    try:
        p = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True,
                           timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    lines = p.stderr.strip().splitlines()
    return p.returncode == 0 and bool(lines) and lines[-1].isdigit()


HAVE_GNU_TIME = gnu_time_works()
RSS_NOTE = ("peak RSS = GNU time's %M (the child's ru_maxrss)" if HAVE_GNU_TIME else
            "peak RSS = ru_maxrss from wait4, which on Linux also counts the forking "
            "python3's own RSS (install `time`, see bench/setup, for exact figures)")


def run_measured(cmd, stdin_path=None, cwd=None):
    """Run CMD with stdout discarded. Wall time from perf_counter, CPU time
    from os.wait4's rusage, peak RSS from GNU time's %M when it is there
    (a child forked straight from this big python3 process would report
    python3's RSS as its own: Linux keeps the pre-exec high-water mark)."""
    with tempfile.TemporaryFile() as errf, \
            tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as rssf:
        argv = ([GNU_TIME, "-f", "%M", "-o", rssf.name] + list(cmd) if HAVE_GNU_TIME
                else list(cmd))
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL,
                                    stderr=errf, cwd=cwd)
            _, status, ru = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdin_path:
                stdin.close()
        errf.seek(0)
        err = errf.read().decode("utf-8", "replace")
        maxrss = ru.ru_maxrss
        if HAVE_GNU_TIME:
            lines = rssf.read().strip().splitlines()
            if lines and lines[-1].strip().isdigit():
                maxrss = int(lines[-1])
    return Measured(wall, ru.ru_utime + ru.ru_stime, maxrss, proc.returncode, err)


def path_size(path):
    """Bytes of a file (with SQLite -wal/-shm siblings) or a directory tree."""
    if os.path.isdir(path):
        total = 0
        for root, _dirs, files in os.walk(path):
            for name in files:
                try:
                    total += os.path.getsize(os.path.join(root, name))
                except OSError:
                    pass
        return total
    total = 0
    for p in (path, path + "-wal", path + "-shm", path + "-journal"):
        if os.path.exists(p):
            total += os.path.getsize(p)
    return total


def remove_path(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    for p in (path, path + "-wal", path + "-shm", path + "-journal", path + ".lock"):
        if os.path.isfile(p):
            os.remove(p)


# ---------------------------------------------------------------------------
# Inputs and passages


def corpus_inputs(corpus):
    """The article folders of a corpus (its subdirectories), so that stray
    top-level files such as README.TXT or SOURCE.md are left out; the corpus
    itself when it has no subdirectories."""
    subdirs = sorted(os.path.join(corpus, d) for d in os.listdir(corpus)
                     if not d.startswith(".")
                     and os.path.isdir(os.path.join(corpus, d)))
    return subdirs or [corpus]


def list_files(inputs):
    """Regular, non-hidden files under INPUTS, recursively, in sorted order."""
    out = []
    for inp in inputs:
        if os.path.isfile(inp):
            out.append(os.path.abspath(inp))
            continue
        for root, dirs, files in os.walk(inp):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    out.append(os.path.abspath(os.path.join(root, name)))
    return out


def input_bytes(inputs):
    return sum(os.path.getsize(p) for p in list_files(inputs))


def decode_text(data):
    """UTF-8, else CP1252 (the one Latin-1 BBC file), never failing."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def split_blocks(text):
    """Blank-line-separated blocks, each with its lines joined by spaces.
    The first block is the headline (or title paragraph)."""
    blocks, cur = [], []
    for line in text.splitlines():
        if line.strip():
            cur.append(line.strip())
        elif cur:
            blocks.append(" ".join(cur))
            cur = []
    if cur:
        blocks.append(" ".join(cur))
    return blocks


def passages_by_splitting(inputs):
    """Fallback passages: [(rowid, path, text)], rowid = doc<<20 | ordinal,
    doc numbered from 1 in sorted path order, ordinal 0 = headline."""
    out = []
    for doc, path in enumerate(list_files(inputs), start=1):
        with open(path, "rb") as f:
            blocks = split_blocks(decode_text(f.read()))
        for ordinal, block in enumerate(blocks):
            out.append(((doc << 20) | ordinal, path, block))
    return out


def passages_from_index(db_path):
    """nutgraf's own passages: [(rowid, path, text)] from passage_content and
    doc. Raises sqlite3.Error if the index does not have that schema."""
    if not os.path.isfile(db_path):
        raise sqlite3.OperationalError(f"no index file {db_path}")
    con = sqlite3.connect(db_path)  # a scratch copy of ours; WAL needs -shm
    try:
        rows = con.execute(
            "SELECT pc.id, d.path, pc.c0, pc.c1 FROM passage_content AS pc "
            "JOIN doc AS d ON d.id = (pc.id >> 20) ORDER BY pc.id").fetchall()
    finally:
        con.close()
    out = []
    for rowid, path, c0, c1 in rows:  # body and headline columns: one of them holds the text
        text = "\n".join(t for t in (c0, c1) if t)
        if text:
            out.append((rowid, path, text))
    return out


def get_passages(nutgraf_index_bin, inputs, tmpdir, label):
    """Passages for the peers, plus a note saying where they came from.
    With nutgraf built, index INPUTS into TMPDIR/LABEL.nutgraf (untimed) and
    read its passages; otherwise split files on blank lines.
    Returns (passages, note, nutgraf_db_or_None)."""
    if nutgraf_index_bin:
        db = os.path.join(tmpdir, f"{label}.nutgraf")
        remove_path(db)
        progress(f"building nutgraf index of {label} to extract its passages")
        m = run_measured([nutgraf_index_bin, "--index", db, "--quiet"] + list(inputs))
        if m.rc != 0:
            progress(f"nutgraf-index exited {m.rc}: {m.stderr.strip()[:500]}")
        try:
            passages = passages_from_index(db)
            if passages:
                return (passages, "passages extracted from nutgraf's index "
                        "(passage_content), identical for every tool", db)
            progress("nutgraf index has no passages; falling back to splitting")
        except sqlite3.Error as e:
            progress(f"cannot read passages from the nutgraf index ({e}); "
                     "falling back to splitting files")
    passages = passages_by_splitting(inputs)
    return (passages, "**fallback**: nutgraf passages unavailable, passages made "
            "by splitting files on blank lines (line 1 = headline)", None)


# ---------------------------------------------------------------------------
# Peer inputs


PORTER_CREATE = "CREATE VIRTUAL TABLE p USING fts5(body, tokenize='porter');"


def sql_quote(text):
    return "'" + text.replace("'", "''") + "'"


def write_porter_sql(passages, path):
    """An SQL script for the sqlite3 shell: create the porter table and load
    every passage (rowid kept) in one transaction."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("BEGIN;\n" + PORTER_CREATE + "\n")
        for rowid, _path, text in passages:
            f.write(f"INSERT INTO p(rowid, body) VALUES({rowid},{sql_quote(text)});\n")
        f.write("COMMIT;\n")


def build_porter_db(passages, path):
    """The same porter table, built through python3's sqlite3 (untimed)."""
    remove_path(path)
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(PORTER_CREATE)
            con.executemany("INSERT INTO p(rowid, body) VALUES(?, ?)",
                            ((r, t) for r, _p, t in passages))
    finally:
        con.close()


def xapian_script(path, store_text=True):
    """A scriptindex index script: 'id' stored, 'text' indexed with positions
    (stemming comes from scriptindex --stemmer=english, Xapian 1.4 has no
    STEMMER line in index scripts)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("# written by nutgraf bench/benchlib.py\n")
        f.write("id : field\n")
        f.write("text : index field\n" if store_text else "text : index\n")


def xapian_escape(text):
    return text.replace("\r", " ").replace("\n", "\n=")


def write_xapian_input(records, path):
    """scriptindex input: one record per (id, text), blank-line separated."""
    with open(path, "w", encoding="utf-8") as f:
        for rid, text in records:
            f.write(f"id={rid}\ntext={xapian_escape(text)}\n\n")


def scriptindex_cmd(db, script, inp):
    return ["scriptindex", "--overwrite", "--stemmer=english", db, script, inp]


QUEST_HIT = re.compile(r"^(\d+): \[([^\]]*)\]$")
QUEST_COUNT = re.compile(r"^(Exactly|About|Between) (\d+)")


def quest(db, query, msize, default_op="or", flags="default", check_at_least=None):
    """Run quest; return (hits, count) with hits = [(data_dict, weight)]."""
    cmd = ["quest", "-d", db, "-m", str(msize), "-o", default_op, "-f", flags]
    if check_at_least is not None:
        cmd += ["-c", str(check_at_least)]
    out = subprocess.run(cmd + [query], capture_output=True, text=True,
                         errors="replace")
    if out.returncode != 0:
        raise RuntimeError(f"quest failed ({out.returncode}): {out.stderr.strip()}")
    hits, count, in_mset, cur = [], None, False, None
    for line in out.stdout.splitlines():
        if not in_mset:
            m = QUEST_COUNT.match(line)
            if m:
                count = int(m.group(2))
            if line.startswith("MSet:"):
                in_mset = True
            continue
        m = QUEST_HIT.match(line)
        if m:
            cur = ({}, float(m.group(2)))
            hits.append(cur)
        elif cur is not None and "=" in line:
            k, v = line.split("=", 1)
            cur[0].setdefault(k, v)
    return hits, count


# ---------------------------------------------------------------------------
# User queries (bench/queries.txt syntax) translated for each tool

QUERY_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


def parse_user_query(line):
    """Terms of a query line: ('word', w), ('phrase', [w...]) or
    ('prefix', [w...]) (the last word of a prefix term is the prefix)."""
    terms = []
    for m in QUERY_TOKEN.finditer(line):
        if m.group(1) is not None:
            words = WORD_RE.findall(m.group(1))
            if words:
                terms.append(("phrase", words) if len(words) > 1 else ("word", words))
            continue
        tok = m.group(2)
        prefix = tok.endswith("*")
        words = WORD_RE.findall(tok.rstrip("*"))
        if not words:
            continue
        if prefix:
            terms.append(("prefix", words))
        elif len(words) > 1:
            terms.append(("phrase", words))
        else:
            terms.append(("word", words))
    return terms


def fts5_string(words):
    return '"' + " ".join(words).replace('"', '""') + '"'


def to_fts5_and(terms):
    """Implicit-AND FTS5 expression: "w", "w1 w2", "w"*."""
    out = []
    for kind, words in terms:
        out.append(fts5_string(words) + ("*" if kind == "prefix" else ""))
    return " ".join(out)


def to_fts5_or(words):
    """Each word an FTS5 string, OR-ed: '"a" OR "b"'."""
    return " OR ".join(fts5_string([w]) for w in words)


def to_xapian(terms):
    """A Xapian QueryParser string (use with default op AND, flag wildcard)."""
    out = []
    for kind, words in terms:
        if kind == "phrase":
            out.append('"' + " ".join(words) + '"')
        elif kind == "prefix":
            out.append(('"' + " ".join(words) + '*"') if len(words) > 1
                       else words[0] + "*")
        else:
            out.append(words[0])
    return " ".join(out)


def rg_core(kind, words):
    core = r"\s+".join(re.escape(w) for w in words)
    return core + r"\w*" if kind == "prefix" else core


def to_rg_args(terms):
    """ripgrep arguments matching a line (= a BBC paragraph) that has all the
    terms: one term -> rg -i -w CORE; several -> PCRE2 lookaheads."""
    if len(terms) == 1:
        return ["-i", "-w", rg_core(*terms[0])]
    look = "".join(r"(?=.*\b" + rg_core(k, w) + r"\b)" for k, w in terms)
    return ["-i", "-P", "^" + look]


# ---------------------------------------------------------------------------
# Numbers and tables


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return float("nan")
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def percentile(xs, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    xs = sorted(xs)
    k = max(1, math.ceil(p / 100 * len(xs)))
    return xs[k - 1]


def geomean(xs):
    xs = [x for x in xs if x and x > 0 and not math.isnan(x)]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def fmt(x, nd=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{nd}f}"


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def md_table(headers, rows, right=None):
    """A Markdown table; RIGHT is the set of column indexes to right-align."""
    right = set(range(1, len(headers))) if right is None else set(right)
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if i in right else "---"
                            for i in range(len(headers))) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def make_tmpdir(parent, tag):
    return tempfile.mkdtemp(prefix=f"nutgraf-bench-{tag}-", dir=parent)

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
import glob
import json
import math
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)


def default_shared():
    """Where ../shared is: $NUTGRAF_SHARED, else next to the repo root, else
    (in a linked git worktree) next to the main checkout."""
    if os.environ.get("NUTGRAF_SHARED"):
        return os.environ["NUTGRAF_SHARED"]
    here = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared"))
    if os.path.isdir(here):
        return here
    try:
        common = subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "--git-common-dir"],
                                capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        common = ""
    if common:
        main_root = os.path.dirname(os.path.abspath(os.path.join(REPO_ROOT, common)))
        there = os.path.normpath(os.path.join(main_root, "..", "shared"))
        if os.path.isdir(there):
            return there
    return here


DEFAULT_SHARED = default_shared()

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


def glue_option_values(argv, names=("--nutgraf-extra", "--latency-extra")):
    """ARGV with `--nutgraf-extra '--no-variants'` turned into
    `--nutgraf-extra=--no-variants`: argparse takes a value that starts with
    '-' for an option of its own otherwise."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in names and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


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


def get_passages(nutgraf_index_bin, inputs, tmpdir, label, db=None):
    """Passages for the peers, plus a note saying where they came from.
    With nutgraf built, index INPUTS into DB (default TMPDIR/LABEL.nutgraf;
    untimed) and read its passages; otherwise split files on blank lines.
    Returns (passages, note, nutgraf_db_or_None)."""
    if nutgraf_index_bin:
        db = db or os.path.join(tmpdir, f"{label}.nutgraf")
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


def load_average():
    """The 1, 5 and 15 minute load averages as one string, or '?'."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def disk_usage(path):
    """Bytes of disk blocks under PATH, each inode counted once (hard links
    to the corpus cost one copy, as on disk)."""
    seen, total = set(), 0
    paths = [path] if os.path.isfile(path) else (
        os.path.join(root, name) for root, _dirs, files in os.walk(path) for name in files)
    for p in paths:
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


# ---------------------------------------------------------------------------
# Corpus copies and the index cache


def parse_copies(text):
    """'1,8,64' -> [1, 8, 64] (sorted, unique, each at least 1)."""
    try:
        out = sorted({int(x) for x in str(text).split(",") if x.strip()})
    except ValueError:
        raise ValueError(f"--copies wants numbers separated by commas, not {text!r}")
    if not out or out[0] < 1:
        raise ValueError("--copies wants numbers of at least 1")
    return out


def link_or_copy(src, dst):
    """A hard link of SRC at DST, or a copy where the file system refuses."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def make_copies(inputs, root, copies):
    """COPIES copies of the input folders under distinct paths,
    ROOT/copyK/<folder>/..., every file hard-linked to the original (copied
    where the file system refuses a link): nutgraf-index walks and reads
    COPIES times the files, each under its own path, while the disk holds
    one copy. Returns the copied folders in order. A complete set already
    under ROOT (its .complete file records the copies and file count) is
    reused as it is."""
    files = list_files(inputs)
    stamp = f"{copies} {len(files)}\n"
    marker = os.path.join(root, ".complete")
    folders = [os.path.join(root, f"copy{k}", os.path.basename(src))
               for k in range(1, copies + 1) for src in inputs]
    try:
        with open(marker, encoding="ascii") as f:
            if f.read() == stamp:
                return folders
    except OSError:
        pass
    if os.path.isdir(root):
        shutil.rmtree(root)
    for k in range(1, copies + 1):
        for src in inputs:
            base = os.path.abspath(src)
            dst_top = os.path.join(root, f"copy{k}", os.path.basename(src))
            for path in files:
                if not path.startswith(base + os.sep):
                    continue
                dst = os.path.join(dst_top, os.path.relpath(path, base))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                link_or_copy(path, dst)
    with open(marker, "w", encoding="ascii") as f:
        f.write(stamp)
    return folders


def binary_stamp(path):
    """What identifies a build of a program: its path and mtime."""
    if not path:
        return None
    try:
        return {"path": path, "mtime_ns": os.stat(path).st_mtime_ns}
    except OSError:
        return None


CACHE_FORMAT = 1


class ScaleSet:
    """One corpus size (the corpus folders, or COPIES copies of them) and its
    indexes for the three engines, kept in ROOT/x<COPIES>/:

        inputs/copyK/<folder>/...   the copies (hard links; none for ×1,
                                    which indexes the corpus in place)
        nutgraf.db                  nutgraf's index; its passages are the peers'
        porter.db                   fts5(body, tokenize='porter') of those passages
        xapian/                     scriptindex --stemmer=english of them
        meta.json                   what was built, from what, by which
                                    nutgraf-index, and the build timings if
                                    they were measured (bench/scale.py)

    A later run given the same ROOT (--reuse) searches these indexes instead
    of building them again. Invariant: meta.json is written last, so an
    interrupted build is never taken for a complete one."""

    ENGINES = ("nutgraf", "porter", "xapian")

    def __init__(self, root, corpus, copies):
        self.root, self.corpus, self.copies = root, os.path.abspath(corpus), copies
        self.dir = os.path.join(root, f"x{copies}")
        self.ng_db = os.path.join(self.dir, "nutgraf.db")
        self.porter_db = os.path.join(self.dir, "porter.db")
        self.xapian_db = os.path.join(self.dir, "xapian")
        self.meta_path = os.path.join(self.dir, "meta.json")
        self.label = f"BBC ×{copies}" if "bbc" in os.path.basename(self.corpus).lower() \
            else f"{os.path.basename(self.corpus)} ×{copies}"
        self.meta = {}
        try:
            with open(self.meta_path, encoding="utf-8") as f:
                self.meta = json.load(f)
        except (OSError, ValueError):
            self.meta = {}
        self._inputs = None

    def inputs(self):
        """The folders to index (made on first use)."""
        if self._inputs is None:
            folders = corpus_inputs(self.corpus)
            self._inputs = folders if self.copies == 1 else make_copies(
                folders, os.path.join(self.dir, "inputs"), self.copies)
        return self._inputs

    def path(self, engine):
        return {"nutgraf": self.ng_db, "porter": self.porter_db,
                "xapian": self.xapian_db}[engine]

    def has(self, engine):
        """Is ENGINE's index complete here, for this corpus and size?"""
        m = self.meta
        return (m.get("format") == CACHE_FORMAT and m.get("corpus") == self.corpus
                and m.get("copies") == self.copies and engine in m.get("engines", ())
                and os.path.exists(self.path(engine)))

    def stale_note(self, ng_index_bin):
        """A sentence when nutgraf.db was built by another nutgraf-index build
        than the current one (a rebuild may change it), else None."""
        built = self.meta.get("nutgraf_index")
        now = binary_stamp(ng_index_bin)
        if self.has("nutgraf") and built and now and built != now:
            return (f"{self.label}: nutgraf.db was built by a different nutgraf-index "
                    f"build ({built.get('path')}, {self.meta.get('built', '?')}); "
                    "pass --rebuild to build it again with the current one")
        return None

    def save(self, engines, ng_index_bin, **fields):
        meta = {"format": CACHE_FORMAT, "corpus": self.corpus, "copies": self.copies,
                "engines": sorted(engines), "nutgraf_index": binary_stamp(ng_index_bin),
                "built": datetime.datetime.now(datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M UTC")}
        meta.update(fields)
        tmp = self.meta_path + ".new"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        os.replace(tmp, self.meta_path)
        self.meta = meta

    def forget(self):
        """Mark the set incomplete before (re)building any of it."""
        if os.path.exists(self.meta_path):
            os.remove(self.meta_path)
        self.meta = {}

    def ensure_untimed(self, ng_index_bin, want_xapian, work):
        """Build what is missing here, untimed (bench/query.py): nutgraf's
        index (everything, when it is missing), then the porter table
        through python3's sqlite3 and the Xapian index by scriptindex.
        Returns (passage count, note on where the passages came from)."""
        engines = [e for e in self.ENGINES if self.has(e)]
        if ng_index_bin and not self.has("nutgraf"):
            engines = []
        want = ["porter"] + (["xapian"] if want_xapian else [])
        if ng_index_bin:
            want.insert(0, "nutgraf")
        if all(e in engines for e in want):
            return self.meta.get("passages"), self.meta.get("note", "") + " (reused)"
        fields = {k: self.meta[k] for k in ("build",) if k in self.meta}
        self.forget()
        os.makedirs(self.dir, exist_ok=True)
        if "nutgraf" in engines:
            passages = passages_from_index(self.ng_db)
            note = ("passages extracted from nutgraf's index (passage_content), "
                    "identical for every tool")
        else:
            fields = {}
            passages, note, db = get_passages(ng_index_bin, self.inputs(), work,
                                              f"x{self.copies}", db=self.ng_db)
            engines = ["nutgraf"] if db else []
        if "porter" not in engines:
            progress(f"{self.label}: building the porter table ({len(passages)} passages)")
            build_porter_db(passages, self.porter_db)
            engines.append("porter")
        if want_xapian and "xapian" not in engines:
            progress(f"{self.label}: building the Xapian index")
            script = os.path.join(work, "xapian.script")
            inp = os.path.join(work, f"x{self.copies}.xapian.in")
            xapian_script(script, store_text=True)
            write_xapian_input([(r, t) for r, _p, t in passages], inp)
            remove_path(self.xapian_db)
            subprocess.run(scriptindex_cmd(self.xapian_db, script, inp), check=True,
                           stdout=subprocess.DEVNULL)
            os.remove(inp)
            engines.append("xapian")
        self.save(engines, ng_index_bin, files=len(list_files(self.inputs())),
                  passages=len(passages), note=note, **fields)
        return len(passages), note


# ---------------------------------------------------------------------------
# Timed builds


class Timed:
    """One command under test, run repeatedly: what it measured each time
    and the size of what it wrote. The output path is removed before each
    run unless FRESH is false (a reindex of an existing index)."""

    def __init__(self, name, cmd, out, stdin=None, fresh=True):
        self.name, self.cmd, self.out, self.stdin = name, cmd, out, stdin
        self.fresh = fresh
        self.runs = []          # Measured
        self.sizes = []         # bytes
        self.bad_rc = set()

    def run_once(self):
        if self.fresh:
            remove_path(self.out)
        m = run_measured(self.cmd, stdin_path=self.stdin)
        if m.rc != 0:
            if m.rc not in self.bad_rc:
                progress(f"{self.name} exited {m.rc}: {m.stderr.strip()[:300]}")
            self.bad_rc.add(m.rc)
        self.runs.append(m)
        self.sizes.append(path_size(self.out))
        return m

    def med(self, attr):
        return median([getattr(m, attr) for m in self.runs])

    def walls(self):
        return [m.wall for m in self.runs]

    def summary(self):
        """A JSON-able record of the medians (for a ScaleSet's meta.json)."""
        return {"name": self.name, "runs": len(self.runs), "wall": self.med("wall"),
                "wall_min": min(self.walls()) if self.runs else None,
                "wall_max": max(self.walls()) if self.runs else None,
                "cpu": self.med("cpu"), "maxrss_kib": self.med("maxrss_kib"),
                "size": median(self.sizes), "bad_rc": sorted(self.bad_rc)}


# ---------------------------------------------------------------------------
# Whole-process query timing (bench/query.py, bench/scale.py)

PORTER_SELECT = ("SELECT rowid, snippet(p, 0, '[', ']', '...', 32) FROM p "
                 "WHERE p MATCH {expr} ORDER BY rank LIMIT 10;")
XAPIAN_DEFAULT_OP, XAPIAN_FLAGS = "and", "default,wildcard"


def read_queries(path):
    """[(line, terms)] of a query list (bench/queries.txt syntax)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                terms = parse_user_query(line)
                if terms:
                    out.append((line, terms))
    return out


def query_commands(line, terms, ctx, tools=("nutgraf", "porter", "xapian", "rg")):
    """The command each available tool in TOOLS runs for one query. CTX:
    ng_query, ng_db, ng_extra (arguments added to every nutgraf-query),
    sqlite3 (bool), porter_db, xapian_db, rg (bool), inputs."""
    cmds = {}
    if "nutgraf" in tools and ctx.get("ng_query") and ctx.get("ng_db"):
        cmds["nutgraf"] = ([ctx["ng_query"], "--index", ctx["ng_db"], "--limit", "10"]
                           + list(ctx.get("ng_extra") or []) + [line])
    if "porter" in tools and ctx.get("sqlite3") and ctx.get("porter_db"):
        sql = PORTER_SELECT.format(expr=sql_quote(to_fts5_and(terms)))
        cmds["porter"] = ["sqlite3", "-readonly", ctx["porter_db"], sql]
    if "xapian" in tools and ctx.get("xapian_db"):
        cmds["xapian"] = ["quest", "-d", ctx["xapian_db"], "-m", "10", "-o", XAPIAN_DEFAULT_OP,
                          "-f", XAPIAN_FLAGS, to_xapian(terms)]
    if "rg" in tools and ctx.get("rg"):
        cmds["rg"] = ["rg", "--no-config"] + to_rg_args(terms) + ["--"] + ctx["inputs"]
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
    return {name: median(s) for name, s in samples.items()}, codes


def nutgraf_count(ng_query, ng_db, line, extra=()):
    """nutgraf-query --count: the number of matching passages, or 'exit N'."""
    p = subprocess.run([ng_query, "--index", ng_db, "--count"] + list(extra) + [line],
                       capture_output=True, text=True, errors="replace")
    try:
        return int(p.stdout.split()[0])
    except (IndexError, ValueError):
        return f"exit {p.returncode}"


def porter_count(porter_db, terms):
    con = sqlite3.connect(f"file:{porter_db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM p WHERE p MATCH ?",
                           (to_fts5_and(terms),)).fetchone()[0]
    except sqlite3.Error as e:
        return f"error: {e}"
    finally:
        con.close()


# ---------------------------------------------------------------------------
# In-process latency programs: bench/latency.c (nutgraf and porter) and
# bench/xapian_latency.cc (Xapian). Both print
#   sample<TAB>QUERY_NO<TAB>TOOL<TAB>NANOSECONDS<TAB>HITS<TAB>CPU_NANOSECONDS
# (wall time, and the searching thread's CPU time) and the helpers below turn
# that into {(query_no, tool): [µs]}, one dict per clock.


def find_libnutgraf(build):
    """libnutgraf in BUILD: the static archive first (what the programs link,
    no PIC), else the shared library."""
    b = build_dir(build)
    for pattern in ("libnutgraf.a", "libnutgraf.so", "libnutgraf.so.*"):
        hits = sorted(glob.glob(os.path.join(b, "**", pattern), recursive=True))
        if hits:
            return hits[0]
    return None


def build_latency(cc, tmp, lib, latency_libs=None):
    """Compile bench/latency.c against LIB (libnutgraf), or porter-only when
    LIB is None. Returns the binary path or None (the reason on stderr)."""
    src = os.path.join(BENCH_DIR, "latency.c")
    exe = os.path.join(tmp, "latency" if lib else "latency-porter")
    base = [cc, "-O2", "-std=c11", "-o", exe, src]
    if lib is None:
        attempts = [base + ["-DLATENCY_NO_NUTGRAF", "-lsqlite3"]]
    else:
        pre = base + ["-I" + os.path.join(REPO_ROOT, "include"), lib]
        if lib.endswith(".so") or ".so." in lib:
            pre.append("-Wl,-rpath," + os.path.dirname(lib))
        extra = ([shlex.split(latency_libs)] if latency_libs else
                 [["-lsqlite3", "-lstemmer", "-lm"],
                  ["-lsqlite3", "-lstemmer", "-ljansson", "-lm", "-lpthread", "-ldl"]])
        attempts = [pre + e for e in extra]
    err = ""
    for cmd in attempts:
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode == 0:
            progress("built latency: " + shlex.join(cmd))
            return exe
        err = p.stderr.strip()
    progress("cannot build bench/latency.c:\n" + err[-3000:])
    return None


def xapian_build_flags():
    """Compiler and linker flags for libxapian (pkg-config, else
    xapian-config), or None when neither knows it."""
    for cmd in (["pkg-config", "--cflags", "--libs", "xapian-core"],
                ["xapian-config", "--cxxflags", "--libs"]):
        if not which(cmd[0]):
            continue
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode == 0:
            return shlex.split(p.stdout)
    return None


def build_xapian_latency(cxx, tmp):
    """Compile bench/xapian_latency.cc with CXX against libxapian. Returns the
    binary path, or (None, reason)."""
    if not which(cxx):
        return None, f"no C++ compiler `{cxx}`"
    flags = xapian_build_flags()
    if flags is None:
        return None, ("libxapian not found by pkg-config or xapian-config "
                      "(apt-get install libxapian-dev, see bench/setup)")
    exe = os.path.join(tmp, "xapian_latency")
    cmd = [cxx, "-O2", "-o", exe, os.path.join(BENCH_DIR, "xapian_latency.cc")] + flags
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        progress("cannot build bench/xapian_latency.cc:\n" + p.stderr.strip()[-3000:])
        return None, "bench/xapian_latency.cc did not build (see stderr)"
    progress("built xapian_latency: " + shlex.join(cmd))
    return exe, None


def write_latency_queries(queries, path, xapian=False):
    """The query file of latency.c (nutgraf query TAB FTS5 expression) or of
    xapian_latency (nutgraf query TAB QueryParser string)."""
    with open(path, "w", encoding="utf-8") as f:
        for line, terms in queries:
            f.write(f"{line}\t{to_xapian(terms) if xapian else to_fts5_and(terms)}\n")


def parse_samples(text, samples, hits, counts=None, cpu=None):
    """Add the sample lines of TEXT to SAMPLES {(q, tool): [µs of wall
    time]}, CPU {(q, tool): [µs of CPU time]} when given, and HITS
    {(q, tool): n}; count lines to COUNTS {(q, tool): matches}."""
    for s in text.splitlines():
        f = s.split("\t")
        if len(f) in (5, 6) and f[0] == "sample":
            q, tool = int(f[1]), f[2]
            samples.setdefault((q, tool), []).append(int(f[3]) / 1000.0)
            hits[(q, tool)] = int(f[4])
            if cpu is not None and len(f) == 6:
                cpu.setdefault((q, tool), []).append(int(f[5]) / 1000.0)
        elif len(f) == 4 and f[0] == "count" and counts is not None:
            counts[(int(f[1]), f[2])] = int(f[3])


def run_latency(exe, ng_db, porter_db, qfile, reps, samples, hits, extra=(), warmup=10,
                cpu=None):
    """One run of latency.c over every query of QFILE; EXTRA are nutgraf-query
    style options handed on as -x OPTION (see latency.c). Returns its exit code."""
    argv = [exe, "-r", str(reps), "-w", str(warmup), "-l", "10"]
    for opt in extra:
        argv += ["-x", opt]
    p = subprocess.run(argv + [ng_db or "-", porter_db, qfile], capture_output=True, text=True)
    if p.returncode != 0:
        progress(f"latency exited {p.returncode}: {p.stderr.strip()}")
    parse_samples(p.stdout, samples, hits, cpu=cpu)
    return p.returncode


def run_xapian_latency(exe, db, qfile, reps, samples, hits, counts=None, snippets=False,
                       tool="xapian", warmup=10, cpu=None):
    """One run of xapian_latency over every query of QFILE (samples stored
    under TOOL). Exact match counts go to COUNTS when it is given."""
    argv = [exe, "-r", str(reps), "-w", str(warmup), "-l", "10", "-o", XAPIAN_DEFAULT_OP]
    if counts is not None:
        argv.append("-c")
    if snippets:
        argv.append("-s")
    p = subprocess.run(argv + [db, qfile], capture_output=True, text=True)
    if p.returncode != 0:
        progress(f"xapian_latency exited {p.returncode}: {p.stderr.strip()}")
    if tool != "xapian":
        p.stdout = p.stdout.replace("\txapian\t", f"\t{tool}\t")
    parse_samples(p.stdout, samples, hits, counts, cpu=cpu)
    return p.returncode

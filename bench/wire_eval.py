#!/usr/bin/env python3
"""Measurements on wire copy: datelines, duplicate detection, result diversity.

Subcommands (each prints Markdown on stdout, progress on stderr):

  datelines --truth TSV --index DB
      Reads what nutgraf recorded (`nutgraf-query -i DB --all --limit 0
      --format json`, the first line of each path) and compares each story's
      "dateline" with the place in the truth TSV written by bench/reuters.py.
      A place is right when both agree ignoring case, runs of whitespace and
      trailing commas and spaces.  Recorded values that hold the right place
      with the day still attached ("WASHINGTON, FEB 26") are counted apart,
      and are not right.

  make-dupes --out DIR --seed N
      A duplicate-detection test set from the BBC corpus (read in place):
      every original under DIR/bbc/<category>/, and for M picked stories
      (--stories, default 300) six edited copies under DIR/edits/<category>/:
        exact              a byte-for-byte copy
        new-lede           paragraph 1 replaced by a paragraph of another story
                           of the same category
        added-paragraph    a paragraph of another story inserted after the lede
        dropped-paragraph  one paragraph after the lede removed
        new-headline       the headline replaced by the lede's first words
        reworded           3 words of one paragraph swapped for synonyms
                           ("said" -> "stated", "company" -> "firm", ...)
      The BBC already holds duplicates: 98 pairs of byte-identical files and
      some 60 pairs of near-identical versions of a story (a headline
      rewritten, a paragraph added).  They are found with a hash of the
      whitespace-collapsed text (kind "bbc-identical") and with 5-word
      shingles (containment, |A and B| / min(|A|, |B|), at least 0.8: kind
      "bbc-near"), and put in one true group.  Pairs of groups whose
      containment is between 0.5 and 0.8 are neither clearly the same story
      nor clearly not: they go to ambiguous.tsv, and dupe-score leaves their
      pairs out.  Distractors (--distractors, default 100) are pairs of
      different stories on the same topic: the same category, the most
      shared words of 5 letters or more, shingle containment below 0.3.
      Files written: groups.tsv (relative_path, true_group_id, edit_kind;
      one "original" per group), ambiguous.tsv (group_a, group_b,
      containment, path_a, path_b), distractors.tsv (path_a, path_b,
      word_jaccard, containment).  Paths are relative to DIR; every file has
      a header row.  Edited copies keep the original's encoding (one BBC
      file is Latin-1).

  dupe-score --truth groups.tsv --pred PRED.tsv
      Pairwise precision and recall of a predicted grouping (PRED.tsv:
      relative_path, predicted_group; a header row and '#' lines are
      skipped; absolute paths are matched to the truth by their trailing
      components).  Over all pairs of documents of the truth: precision =
      pairs predicted together that are truly together / pairs predicted
      together; recall = the same / pairs truly together.  Pairs across an
      ambiguous pair of groups count in neither.  A truth document absent
      from PRED is its own group.  Per edit kind: the share of copies of
      that kind predicted with their group's original.  Distractor pairs
      predicted together are false merges.  --self-test checks the
      arithmetic on a hand-made example (exit 1 on a mismatch).

  diversity --index DB [--queries FILE]
      For each query line (default bench/wire-queries.txt: topics of the
      1987 Reuters wire) runs `nutgraf-query -i DB --format json --limit 10
      QUERY` and `--count`, with --extra "..." options added, and reports
      the matching passages, the distinct stories (paths) filling the top 10,
      and with --truth TSV (bench/reuters.py's) the distinct bodies among
      them (exact repeats are different paths with one body).

Binaries come from --build DIR (default build, relative to the repo root).
When ../shared, the build or a needed file is missing, a subcommand says so
and exits 0.  Nothing from the corpora is written anywhere but --out.
Standard library only.
"""

import argparse
import collections
import hashlib
import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
DEFAULT_SHARED = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared"))
DEFAULT_QUERIES = os.path.join(BENCH_DIR, "wire-queries.txt")
PROG = "wire_eval.py"


def progress(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def skip(msg):
    print(f"Skipped: {msg}")
    progress(f"skipped: {msg}")
    sys.exit(0)


def fail(msg):
    progress(f"error: {msg}")
    sys.exit(2)


def query_binary(build):
    b = build if os.path.isabs(build) else os.path.join(REPO_ROOT, build)
    path = os.path.join(b, "query", "nutgraf-query")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def version_line(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "nutgraf (version unknown)"


def read_tsv(path):
    """Rows of a TSV as lists; '#' lines, blank lines and a header row (first
    field one of the known column names) skipped."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            row = line.split("\t")
            if i == 0 and row[0] in ("newid", "relative_path", "group_a", "path_a"):
                continue
            rows.append(row)
    return rows


class PathMatcher:
    """Finds the truth path that a path reported by nutgraf (absolute, or
    relative to anywhere) ends with, by whole path components."""

    def __init__(self, paths):
        self.paths = set(paths)
        self.depth = max((p.count("/") + 1 for p in self.paths), default=1)

    def match(self, path):
        if path in self.paths:
            return path
        parts = path.split("/")
        for k in range(min(self.depth, len(parts)), 0, -1):
            tail = "/".join(parts[-k:])
            if tail in self.paths:
                return tail
        return None


def pct(n, d):
    return f"{100.0 * n / d:.1f}%" if d else "n/a"


# ---------------------------------------------------------------------------
# datelines


def norm_place(s):
    return " ".join((s or "").split()).rstrip(", ").casefold()


def story_key(obj):
    """A hit's story as the truth names it: its path, or FEED#ID for a feed
    record (JSON version 2 gives the feed and the id apart)."""
    if obj.get("feed") and obj.get("id") is not None:
        return f"{obj['feed']}#{obj['id']}"
    return obj.get("path")


def cmd_datelines(args):
    binary = query_binary(args.build)
    if not binary:
        skip(f"nutgraf-query not built in {args.build}")
    if not os.path.isfile(args.truth):
        skip(f"truth {args.truth} not found (run bench/reuters.py)")
    if not os.path.isfile(args.index):
        fail(f"index {args.index} not found")
    truth = {}
    for row in read_tsv(args.truth):
        newid, rel, place, day = row[0], row[1], row[2], row[3]
        truth[rel] = (newid, place, day)
    matcher = PathMatcher(truth)
    cmd = [binary, "-i", args.index, "--all", "--limit", "0", "--format", "json"]
    progress("reading " + " ".join(cmd))
    recorded = {}
    unknown = set()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, encoding="utf-8") as proc:
        for line in proc.stdout:
            obj = json.loads(line)
            path = story_key(obj)
            rel = matcher.match(path) if path else None
            if rel is None:
                unknown.add(path)
                continue
            if rel not in recorded:
                recorded[rel] = obj.get("dateline")
        rc = proc.wait()
    if rc not in (0, 1):
        fail(f"nutgraf-query exited with {rc}")

    found = [rel for rel in truth if rel in recorded]
    with_dl = [rel for rel in found if truth[rel][1]]
    without_dl = [rel for rel in found if not truth[rel][1]]
    got = [rel for rel in with_dl if recorded[rel]]
    right = [rel for rel in got if norm_place(recorded[rel]) == norm_place(truth[rel][1])]
    with_day = []
    wrong = []
    for rel in got:
        if rel in right:
            continue
        rec, place, day = norm_place(recorded[rel]), norm_place(truth[rel][1]), norm_place(truth[rel][2])
        if day and rec.startswith(place) and rec[len(place):].strip(" ,") == day:
            with_day.append(rel)
        wrong.append(rel)
    spurious = [rel for rel in without_dl if recorded[rel]]

    print(f"**datelines:** truth {args.truth}; index {args.index}; {version_line(binary)}")
    print()
    n = len(with_dl)
    print("| stories | count | share of stories with a dateline in truth |")
    print("|---|---:|---:|")
    print(f"| in truth | {len(truth)} | |")
    print(f"| found in the index | {len(found)} | |")
    print(f"| with a dateline in truth | {n} | 100% |")
    print(f"| dateline recorded | {len(got)} | {pct(len(got), n)} |")
    print(f"| **place right** | **{len(right)}** | **{pct(len(right), n)}** |")
    print(f"| recorded, wrong | {len(wrong)} | {pct(len(wrong), n)} |")
    print(f"| of which the right place with the day attached | {len(with_day)} | "
          f"{pct(len(with_day), n)} |")
    print(f"| not recorded | {n - len(got)} | {pct(n - len(got), n)} |")
    print(f"| no dateline in truth, one recorded anyway | {len(spurious)} of "
          f"{len(without_dl)} | |")
    if unknown:
        print(f"| index paths not in truth (ignored) | {len(unknown)} | |")
    missing = len(truth) - len(found)
    if missing:
        print(f"| in truth, not in the index | {missing} | |")
    if wrong:
        print()
        print(f"Mismatches (first {min(20, len(wrong))} of {len(wrong)}):")
        print()
        print("| newid | truth place | truth day | recorded |")
        print("|---|---|---|---|")
        for rel in wrong[:20]:
            newid, place, day = truth[rel]
            print(f"| {newid} | {place} | {day} | {recorded[rel]} |")
    if spurious:
        print()
        print("Recorded where the truth has no place (first 10):")
        print()
        print("| newid | recorded |")
        print("|---|---|")
        for rel in spurious[:10]:
            print(f"| {truth[rel][0]} | {recorded[rel]} |")
    return 0


# ---------------------------------------------------------------------------
# make-dupes

WORD_RE = re.compile(r"[^\W_]+")
SHINGLE = 5
NEAR = 0.8          # containment at or above: the same story
AMBIGUOUS = 0.5     # containment in [AMBIGUOUS, NEAR): left out of scoring
DISTRACTOR_MAX = 0.3

# Words that can be swapped without changing what a news sentence says or
# breaking its grammar (no word that is also a common noun: "the show", "a
# rise"); only lower-case occurrences are swapped, so "New York" stays.
SYNONYMS = {
    "said": "stated", "says": "states", "told": "informed", "company": "firm",
    "firm": "company", "firms": "companies", "companies": "firms",
    "government": "administration", "people": "individuals", "big": "large",
    "large": "big", "rose": "climbed", "fell": "dropped", "also": "additionally",
    "about": "around", "around": "about", "expected": "anticipated", "new": "fresh",
    "bought": "purchased", "major": "significant", "important": "key",
    "recent": "latest", "latest": "newest", "quickly": "rapidly", "added": "continued",
    "announced": "unveiled", "believe": "think", "believes": "thinks",
    "claimed": "alleged", "huge": "vast", "won": "secured", "country": "nation",
    "many": "numerous", "often": "frequently", "before": "prior to",
    "after": "following", "more than": "over", "very": "extremely",
    "started": "began", "wanted": "wished",
}
SYNONYM_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, SYNONYMS), key=len,
                                                  reverse=True)) + r")\b")
SMALL_WORDS = {"a", "an", "the", "of", "to", "and", "in", "on", "for", "at", "by", "with"}


class Doc:
    def __init__(self, rel, data):
        self.rel = rel
        self.data = data
        try:
            self.text, self.encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            self.text, self.encoding = data.decode("latin-1"), "latin-1"
        self.norm = " ".join(self.text.split())
        lines = self.text.split("\n")
        self.headline = lines[0].strip()
        body = "\n".join(lines[1:])
        self.paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip()]
        words = WORD_RE.findall(self.text.lower())
        self.shingles = set(zip(*(words[i:] for i in range(SHINGLE))))
        self.topic = {w for w in words if len(w) >= 5}
        self.category = rel.split("/")[1]


def find_union(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def shingle_containment(docs):
    """{(i, j): containment} for every pair i < j of docs sharing a shingle
    held by at most 50 documents (a common phrase proves nothing)."""
    inverted = collections.defaultdict(list)
    for i, d in enumerate(docs):
        for s in d.shingles:
            inverted[s].append(i)
    shared = collections.Counter()
    for ids in inverted.values():
        if 1 < len(ids) <= 50:
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    shared[(ids[a], ids[b])] += 1
    out = {}
    for (i, j), n in shared.items():
        out[(i, j)] = n / max(1, min(len(docs[i].shingles), len(docs[j].shingles)))
    return out


def new_headline(doc):
    """The lede's first words as a headline: up to 8 words, cut at the first
    comma, colon or bracket after 3 words or more, no closing punctuation or
    small word at the end ("The Kyrgyz Republic")."""
    out = []
    for w in doc.paras[0].split()[:8]:
        out.append(w)
        if len(out) >= 3 and re.search(r"[,(:;]$", w):
            break
    out[-1] = out[-1].rstrip(",.;:(\"'")
    while len(out) > 1 and (out[-1].lower() in SMALL_WORDS or not out[-1]):
        out.pop()
    head = " ".join(out)
    return head if head != doc.headline else head + " now"


def reword(para, rng, n=3):
    """para with up to n words swapped for SYNONYMS; (text, words changed)."""
    hits = list(SYNONYM_RE.finditer(para))
    if not hits:
        return para, 0
    chosen = sorted(rng.sample(hits, min(n, len(hits))), key=lambda m: m.start())
    out, last = [], 0
    for m in chosen:
        new = SYNONYMS[m.group(0)]
        out.append(para[last:m.start()])
        out.append(new)
        last = m.end()
    out.append(para[last:])
    return "".join(out), len(chosen)


def assemble(headline, paras, encoding):
    text = headline + "\n\n" + "\n\n".join(paras) + "\n"
    return text.encode(encoding, errors="replace")


def cmd_make_dupes(args):
    corpus = os.path.join(args.shared, "corpora", "bbc-news")
    cats = sorted(c for c in os.listdir(corpus)
                  if os.path.isdir(os.path.join(corpus, c))) if os.path.isdir(corpus) else []
    if not cats:
        skip(f"BBC corpus not found in {corpus} (../shared is absent?)")
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="nutgraf-dupes-"))
    os.makedirs(out, exist_ok=True)
    rng = random.Random(args.seed)

    docs = []
    for cat in cats:
        for name in sorted(os.listdir(os.path.join(corpus, cat))):
            if name.endswith(".txt"):
                with open(os.path.join(corpus, cat, name), "rb") as f:
                    docs.append(Doc(f"bbc/{cat}/{name}", f.read()))
    progress(f"{len(docs)} BBC files read; comparing them")
    for d in docs:
        os.makedirs(os.path.join(out, os.path.dirname(d.rel)), exist_ok=True)
        with open(os.path.join(out, d.rel), "wb") as f:
            f.write(d.data)

    # Natural duplicates: one text (whitespace aside), or near-identical.
    parent = list(range(len(docs)))
    first_by_text = {}
    for i, d in enumerate(docs):
        h = hashlib.sha1(d.norm.encode("utf-8")).hexdigest()
        if h in first_by_text:
            parent[find_union(parent, i)] = find_union(parent, first_by_text[h])
        else:
            first_by_text[h] = i
    contain = shingle_containment(docs)
    for (i, j), c in contain.items():
        if c >= NEAR:
            parent[find_union(parent, j)] = find_union(parent, i)
    roots = {}
    group_of = []
    for i in range(len(docs)):
        r = find_union(parent, i)
        if r not in roots:
            roots[r] = f"g{len(roots) + 1:05d}"
        group_of.append(roots[r])
    kind = []
    texts_of_group = collections.defaultdict(set)
    for i, d in enumerate(docs):
        seen = texts_of_group[group_of[i]]
        kind.append("original" if not seen else "bbc-identical" if d.norm in seen else "bbc-near")
        seen.add(d.norm)
    ambiguous = {}
    for (i, j), c in contain.items():
        gi, gj = group_of[i], group_of[j]
        if AMBIGUOUS <= c < NEAR and gi != gj:
            key = tuple(sorted((gi, gj)))
            if key not in ambiguous or ambiguous[key][0] < c:
                ambiguous[key] = (c, docs[i].rel, docs[j].rel)

    rows = [(d.rel, group_of[i], kind[i]) for i, d in enumerate(docs)]

    # Edited copies of M picked stories (a group's original, 4+ paragraphs).
    eligible = [i for i, d in enumerate(docs) if kind[i] == "original" and len(d.paras) >= 4]
    m = min(args.stories, len(eligible))
    picked = sorted(rng.sample(eligible, m))
    by_cat = collections.defaultdict(list)
    for i, d in enumerate(docs):
        if len(d.paras) >= 2:
            by_cat[d.category].append(i)

    def donor_paragraph(i):
        while True:
            j = rng.choice(by_cat[docs[i].category])
            if group_of[j] != group_of[i]:
                return rng.choice(docs[j].paras[1:])

    kinds_written = collections.Counter()
    not_reworded = 0
    for i in picked:
        d = docs[i]
        stem = os.path.splitext(os.path.basename(d.rel))[0]
        base = f"edits/{d.category}/{stem}"
        copies = [("exact", d.data)]
        copies.append(("new-lede", assemble(d.headline, [donor_paragraph(i)] + d.paras[1:],
                                             d.encoding)))
        at = rng.randint(1, len(d.paras))
        copies.append(("added-paragraph", assemble(
            d.headline, d.paras[:at] + [donor_paragraph(i)] + d.paras[at:], d.encoding)))
        drop = rng.randint(1, len(d.paras) - 1)
        copies.append(("dropped-paragraph", assemble(
            d.headline, d.paras[:drop] + d.paras[drop + 1:], d.encoding)))
        copies.append(("new-headline", assemble(new_headline(d), d.paras, d.encoding)))
        # The paragraph with the most swappable words.
        k = max(range(len(d.paras)), key=lambda p: (len(SYNONYM_RE.findall(d.paras[p])), -p))
        text, changed = reword(d.paras[k], rng)
        if changed:
            copies.append(("reworded", assemble(d.headline, d.paras[:k] + [text] + d.paras[k + 1:],
                                                d.encoding)))
        else:
            not_reworded += 1
        os.makedirs(os.path.join(out, os.path.dirname(base)), exist_ok=True)
        for edit, data in copies:
            rel = f"{base}-{edit}.txt"
            with open(os.path.join(out, rel), "wb") as f:
                f.write(data)
            rows.append((rel, group_of[i], edit))
            kinds_written[edit] += 1

    # Distractors: same category, most shared topic words, textually different.
    distractors = []
    for ci, cat in enumerate(cats):
        want = args.distractors // len(cats) + (1 if ci < args.distractors % len(cats) else 0)
        ids = [i for i, d in enumerate(docs) if d.category == cat and kind[i] == "original"]
        cands = []
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                i, j = ids[a], ids[b]
                c = contain.get((i, j), 0.0)
                if c >= DISTRACTOR_MAX or tuple(sorted((group_of[i], group_of[j]))) in ambiguous:
                    continue
                ti, tj = docs[i].topic, docs[j].topic
                jac = len(ti & tj) / max(1, len(ti | tj))
                cands.append((jac, c, i, j))
        cands.sort(key=lambda x: (-x[0], x[2], x[3]))
        used, taken = set(), 0
        for jac, c, i, j in cands:
            if taken >= want:
                break
            if i in used or j in used:
                continue
            used.update((i, j))
            taken += 1
            distractors.append((docs[i].rel, docs[j].rel, jac, c))

    with open(os.path.join(out, "groups.tsv"), "w", encoding="utf-8") as f:
        f.write("relative_path\ttrue_group_id\tedit_kind\n")
        for rel, g, k in rows:
            f.write(f"{rel}\t{g}\t{k}\n")
    with open(os.path.join(out, "ambiguous.tsv"), "w", encoding="utf-8") as f:
        f.write("group_a\tgroup_b\tcontainment\tpath_a\tpath_b\n")
        for (ga, gb), (c, pa, pb) in sorted(ambiguous.items()):
            f.write(f"{ga}\t{gb}\t{c:.3f}\t{pa}\t{pb}\n")
    with open(os.path.join(out, "distractors.tsv"), "w", encoding="utf-8") as f:
        f.write("path_a\tpath_b\tword_jaccard\tcontainment\n")
        for pa, pb, jac, c in distractors:
            f.write(f"{pa}\t{pb}\t{jac:.3f}\t{c:.3f}\n")

    counts = collections.Counter(k for _, _, k in rows)
    sizes = collections.Counter(collections.Counter(g for _, g, _ in rows).values())
    natural = collections.Counter(collections.Counter(group_of).values())
    print(f"**make-dupes:** BBC from {corpus}; seed {args.seed}; out {out}")
    print()
    print("| item | count |")
    print("|---|---:|")
    print(f"| BBC originals copied | {len(docs)} |")
    print(f"| BBC groups of 2+ (identical or near-identical) | "
          f"{sum(v for s, v in natural.items() if s > 1)} |")
    for k in ("original", "bbc-identical", "bbc-near", "exact", "new-lede", "added-paragraph",
              "dropped-paragraph", "new-headline", "reworded"):
        print(f"| files of kind {k} | {counts.get(k, 0)} |")
    print(f"| stories picked for edits | {m} (not reworded, no swappable word: {not_reworded}) |")
    print(f"| files in all | {len(rows)} |")
    print(f"| true groups | {sum(sizes.values())} (of 2+ files: "
          f"{sum(v for s, v in sizes.items() if s > 1)}) |")
    print(f"| ambiguous group pairs (left out of scoring) | {len(ambiguous)} |")
    print(f"| distractor pairs | {len(distractors)} |")
    if not args.out:
        print()
        print(f"Output directory: {out}")
    return 0


# ---------------------------------------------------------------------------
# dupe-score


def pairs(n):
    return n * (n - 1) // 2


def score_groups(truth, pred, ambiguous=(), distractors=()):
    """truth: {path: (group, kind)}; pred: {path: group} (paths already
    matched to the truth's); ambiguous: (group_a, group_b) pairs of truth
    groups whose cross pairs are left out; distractors: (path_a, path_b).
    Returns a dict of counts and ratios (None where undefined)."""
    pred = dict(pred)
    missing = 0
    for path in truth:
        if path not in pred:
            pred[path] = ("\0missing", path)   # its own group
            missing += 1
    members_t = collections.Counter(g for g, _ in truth.values())
    members_p = collections.Counter(pred[p] for p in truth)
    both = collections.Counter((truth[p][0], pred[p]) for p in truth)
    truth_pairs = sum(pairs(n) for n in members_t.values())
    pred_pairs = sum(pairs(n) for n in members_p.values())
    tp = sum(pairs(n) for n in both.values())
    by_pred_group = collections.defaultdict(collections.Counter)
    for (g, p), n in both.items():
        by_pred_group[p][g] = n
    excluded = 0
    for ga, gb in ambiguous:
        for counts in by_pred_group.values():
            excluded += counts.get(ga, 0) * counts.get(gb, 0)
    pred_pairs -= excluded
    original = {g: p for p, (g, k) in truth.items() if k == "original"}
    per_kind = collections.defaultdict(lambda: [0, 0])
    for p, (g, k) in truth.items():
        if k == "original" or g not in original:
            continue
        per_kind[k][1] += 1
        per_kind[k][0] += pred[p] == pred[original[g]]
    merged = sum(1 for a, b in distractors if a in truth and b in truth and pred[a] == pred[b])
    precision = tp / pred_pairs if pred_pairs else None
    recall = tp / truth_pairs if truth_pairs else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall else None)
    return {"docs": len(truth), "missing": missing, "truth_groups": len(members_t),
            "pred_groups": len(members_p), "truth_pairs": truth_pairs,
            "pred_pairs": pred_pairs, "tp": tp, "excluded": excluded,
            "precision": precision, "recall": recall, "f1": f1,
            "per_kind": {k: tuple(v) for k, v in per_kind.items()},
            "distractors": len(distractors), "distractors_merged": merged}


def fmt(x):
    return "n/a" if x is None else f"{x:.4f}"


def self_test():
    # Hand-made: truth {a,b,c} {d,e} {f} {g}; predicted {a,b} {c,d,e} {f,g};
    # h is in the truth but not predicted; (g1,g3) is an ambiguous pair.
    truth = {"x/a": ("g1", "original"), "x/b": ("g1", "exact"), "x/c": ("g1", "new-lede"),
             "x/d": ("g2", "original"), "x/e": ("g2", "bbc-identical"),
             "x/f": ("g3", "original"), "x/g": ("g4", "original"), "x/h": ("g5", "original")}
    pred = {"x/a": "p1", "x/b": "p1", "x/c": "p2", "x/d": "p2", "x/e": "p2",
            "x/f": "p3", "x/g": "p3"}
    cases = []
    # truth pairs ab ac bc de = 4; predicted ab, cd ce de, fg = 5; together ab de = 2.
    r = score_groups(truth, pred)
    cases += [("truth pairs", r["truth_pairs"], 4), ("predicted pairs", r["pred_pairs"], 5),
              ("true pairs", r["tp"], 2), ("precision", r["precision"], 2 / 5),
              ("recall", r["recall"], 2 / 4), ("f1", r["f1"], 2 * 0.4 * 0.5 / 0.9),
              ("missing", r["missing"], 1), ("exact recall", r["per_kind"]["exact"], (1, 1)),
              ("new-lede recall", r["per_kind"]["new-lede"], (0, 1)),
              ("bbc-identical recall", r["per_kind"]["bbc-identical"], (1, 1))]
    # (g3, g4) ambiguous: the predicted pair fg is left out -> 2/4.
    r = score_groups(truth, pred, ambiguous=[("g3", "g4")], distractors=[("x/f", "x/g"),
                                                                           ("x/a", "x/d")])
    cases += [("ambiguous left out", r["excluded"], 1), ("precision w/o ambiguous",
              r["precision"], 2 / 4), ("distractors merged", r["distractors_merged"], 1)]
    # Everything in one predicted group: 28 pairs over 8 docs, 4 of them true.
    r = score_groups(truth, {p: "all" for p in truth})
    cases += [("one group precision", r["precision"], 4 / 28), ("one group recall",
              r["recall"], 1.0)]
    # Nothing predicted: every doc its own group; precision undefined, recall 0.
    r = score_groups(truth, {})
    cases += [("empty precision", r["precision"], None), ("empty recall", r["recall"], 0.0)]
    # Absolute paths from nutgraf find their truth rows.
    m = PathMatcher(["bbc/tech/001.txt", "edits/tech/001-exact.txt"])
    cases += [("path match", m.match("/tmp/d/bbc/tech/001.txt"), "bbc/tech/001.txt"),
              ("path no match", m.match("/tmp/d/bbc/tech/002.txt"), None)]
    passed = failed = 0
    for name, got, want in cases:
        ok = (got == want if not isinstance(want, float)
              else got is not None and math.isclose(got, want, rel_tol=1e-12))
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"self-test: FAIL {name}: got {got!r}, want {want!r}")
    print(f"self-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def cmd_dupe_score(args):
    if args.self_test:
        return self_test()
    if not args.truth or not args.pred:
        fail("dupe-score needs --truth and --pred (or --self-test)")
    for path in (args.truth, args.pred):
        if not os.path.isfile(path):
            fail(f"{path} not found")
    truth = {row[0]: (row[1], row[2] if len(row) > 2 else "original")
             for row in read_tsv(args.truth)}
    matcher = PathMatcher(truth)
    pred, unknown = {}, 0
    for row in read_tsv(args.pred):
        rel = matcher.match(row[0])
        if rel is None:
            unknown += 1
        else:
            pred[rel] = row[1] if len(row) > 1 else ""
    folder = os.path.dirname(os.path.abspath(args.truth))
    amb_path = args.ambiguous or os.path.join(folder, "ambiguous.tsv")
    dis_path = args.distractors or os.path.join(folder, "distractors.tsv")
    ambiguous = [(r[0], r[1]) for r in read_tsv(amb_path)] if os.path.isfile(amb_path) else []
    distractors = [(r[0], r[1]) for r in read_tsv(dis_path)] if os.path.isfile(dis_path) else []
    r = score_groups(truth, pred, ambiguous, distractors)
    print(f"**dupe-score:** truth {args.truth}; predicted {args.pred}")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| documents in truth | {r['docs']} (not in the prediction, own group: "
          f"{r['missing']}) |")
    if unknown:
        print(f"| predicted paths not in truth (ignored) | {unknown} |")
    print(f"| true groups / predicted groups | {r['truth_groups']} / {r['pred_groups']} |")
    print(f"| pairs truly together | {r['truth_pairs']} |")
    print(f"| pairs predicted together | {r['pred_pairs']} (ambiguous pairs left out: "
          f"{r['excluded']}) |")
    print(f"| pairs predicted together and truly together | {r['tp']} |")
    print(f"| **pairwise precision** | **{fmt(r['precision'])}** |")
    print(f"| **pairwise recall** | **{fmt(r['recall'])}** |")
    print(f"| F1 | {fmt(r['f1'])} |")
    if r["distractors"]:
        print(f"| distractor pairs predicted together (false merges) | "
              f"{r['distractors_merged']} of {r['distractors']} |")
    print()
    print("| edit kind | copies | with their original | recall |")
    print("|---|---:|---:|---:|")
    for k, (hit, n) in sorted(r["per_kind"].items()):
        print(f"| {k} | {n} | {hit} | {fmt(hit / n if n else None)} |")
    return 0


# ---------------------------------------------------------------------------
# diversity


def run_query(binary, index, extra, query, *opts):
    cmd = [binary, "-i", index, *opts, *extra, "--", query]
    p = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
    if p.returncode not in (0, 1):
        progress(f"{' '.join(map(shlex.quote, cmd))}: exit {p.returncode}: {p.stderr.strip()}")
        return None
    return p.stdout


def cmd_diversity(args):
    binary = query_binary(args.build)
    if not binary:
        skip(f"nutgraf-query not built in {args.build}")
    if not os.path.isfile(args.index):
        fail(f"index {args.index} not found")
    if not os.path.isfile(args.queries):
        fail(f"queries {args.queries} not found")
    with open(args.queries, encoding="utf-8") as f:
        queries = [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    extra = shlex.split(args.extra or "")
    body_of, matcher = {}, None
    if args.truth:
        if not os.path.isfile(args.truth):
            fail(f"truth {args.truth} not found")
        body_of = {row[1]: row[4] for row in read_tsv(args.truth)}
        matcher = PathMatcher(body_of)

    print(f"**diversity:** index {args.index}; queries {args.queries}; "
          f"extra options: {' '.join(extra) or 'none'}; {version_line(binary)}")
    print()
    head = "| query | matching passages | top-10 results | distinct stories |"
    rule = "|---|---:|---:|---:|"
    if matcher:
        head += " distinct bodies |"
        rule += "---:|"
    print(head)
    print(rule)
    distinct_all, bodies_all, with_hits = [], [], 0
    for q in queries:
        count_out = run_query(binary, args.index, extra, q, "--count")
        json_out = run_query(binary, args.index, extra, q, "--format", "json", "--limit", "10")
        if count_out is None or json_out is None:
            print(f"| {q} | error | | |" + (" |" if matcher else ""))
            continue
        try:
            count = int(count_out.strip() or 0)
        except ValueError:
            count = count_out.strip()
        paths = [story_key(json.loads(ln)) for ln in json_out.splitlines() if ln.strip()]
        distinct = len(set(paths))
        row = f"| {q} | {count} | {len(paths)} | {distinct} |"
        if paths:
            with_hits += 1
            distinct_all.append(distinct)
        if matcher:
            bodies = {body_of.get(matcher.match(p) or "", p) for p in paths}
            row += f" {len(bodies)} |"
            if paths:
                bodies_all.append(len(bodies))
        print(row)
    print()
    if distinct_all:
        mean = sum(distinct_all) / len(distinct_all)
        line = (f"Queries: {len(queries)}, with results: {with_hits}. Distinct stories in the "
                f"top 10: mean {mean:.2f}, min {min(distinct_all)}, max {max(distinct_all)}")
        if bodies_all:
            line += f"; distinct bodies: mean {sum(bodies_all) / len(bodies_all):.2f}"
        print(line + ".")
    else:
        print(f"Queries: {len(queries)}, none with results.")
    return 0


# ---------------------------------------------------------------------------


def parse_args():
    ap = argparse.ArgumentParser(
        prog=PROG, description="Measurements on wire copy: dateline extraction, "
        "duplicate-detection test sets and scoring, diversity of the top 10.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def build_opt(p):
        p.add_argument("--build", default="build",
                       help="nutgraf build directory (default build, relative to the repo root)")

    p = sub.add_parser("datelines", help="compare nutgraf's recorded datelines with the truth",
                       description="Compare the dateline nutgraf recorded for each story with "
                       "the place in bench/reuters.py's truth TSV.")
    p.add_argument("--truth", required=True, help="truth TSV written by bench/reuters.py")
    p.add_argument("--index", required=True, help="nutgraf index of the converted stories")
    build_opt(p)
    p.set_defaults(func=cmd_datelines)

    p = sub.add_parser("make-dupes", help="write a duplicate-detection test set from BBC",
                       description="Write the BBC originals, edited copies of --stories of them "
                       "and groups.tsv / ambiguous.tsv / distractors.tsv to --out.")
    p.add_argument("--out", default=None,
                   help="output directory (default: a new temporary directory, printed)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--stories", type=int, default=300,
                   help="stories to make edited copies of (default 300)")
    p.add_argument("--distractors", type=int, default=100,
                   help="same-topic pairs of different stories to list (default 100)")
    p.add_argument("--shared", default=DEFAULT_SHARED,
                   help="the shared directory (default: the repo root's ../shared)")
    p.set_defaults(func=cmd_make_dupes)

    p = sub.add_parser("dupe-score", help="pairwise precision and recall of a grouping",
                       description="Pairwise precision and recall of PRED.tsv (relative_path, "
                       "predicted_group) against make-dupes' groups.tsv.")
    p.add_argument("--truth", help="groups.tsv written by make-dupes")
    p.add_argument("--pred", help="predicted grouping: relative_path TAB predicted_group")
    p.add_argument("--ambiguous", default=None,
                   help="ambiguous group pairs (default: ambiguous.tsv next to --truth)")
    p.add_argument("--distractors", default=None,
                   help="distractor pairs (default: distractors.tsv next to --truth)")
    p.add_argument("--self-test", action="store_true",
                   help="check the arithmetic on a hand-made example and exit")
    p.set_defaults(func=cmd_dupe_score)

    p = sub.add_parser("diversity", help="distinct stories in the top 10 of topic queries",
                       description="Distinct stories (paths) in nutgraf's top 10 for each "
                       "query line, and the number of matching passages.")
    p.add_argument("--index", required=True, help="nutgraf index")
    p.add_argument("--queries", default=DEFAULT_QUERIES,
                   help="one query per line, '#' comments (default bench/wire-queries.txt)")
    p.add_argument("--extra", default="", help='more nutgraf-query options, e.g. "--any"')
    p.add_argument("--truth", default=None,
                   help="bench/reuters.py's truth TSV: also count distinct bodies")
    build_opt(p)
    p.set_defaults(func=cmd_diversity)
    return ap.parse_args()


def main():
    # "--extra --any": argparse takes a value that starts with "--" for an
    # option, so glue it on ("--extra=--any") before parsing.
    argv = sys.argv[1:]
    for i in range(len(argv) - 1):
        if argv[i] == "--extra":
            argv[i:i + 2] = [f"--extra={argv[i + 1]}"]
            break
    sys.argv[1:] = argv
    args = parse_args()
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reuters-21578 SGML -> wire copy as a news desk receives it, plus ground truth.

Reads ../shared/corpora/reuters21578/reut2-*.sgm in place (bytes decoded as
Latin-1: the files are ASCII except one stray 0xFC in reut2-017.sgm) and, for
each <REUTERS NEWID=n> record that has a <BODY> (19,043 of 21,578), writes
<out>/reuters/NN/reuters-NNNNN.txt (NN = n // 1000; --shard 0 for one folder):

    Date: Thu, 26 Feb 1987 15:01:01 +0000       (--date-form rfc2822|desk|iso)
    Source: Reuters
    <blank line>
    TITLE ON ONE LINE, IN THE STORY'S OWN CASE
    <DATELINE> and <BODY> exactly as the wire had them, one after the other

The body is Reuters' own layout: hard-wrapped lines, a paragraph's first line
indented (4 spaces in prose, 1 in most tables), no blank lines between
paragraphs.  The <DATELINE> element holds the lede's opening words with their
indent ("    SALVADOR, Feb 26 - "), so dateline + body rebuilds the lede; in
about one story in seven it ends in a newline ("    CHICAGO, Feb 26 -\n    ")
and the wire put the dateline on a line of its own: that is kept, unless
--join-datelines puts it in front of the lede's first line.  SGML references
are decoded (&lt; &amp;) and control characters (&#2; &#3; &#5; ... ) are
dropped.  The sign-off line ("Reuter", "REUTER", "REUTER^M" -- the last two
characters literally a caret and an M) is kept, as the wire sent it;
--drop-signoff removes a final sign-off line.  The DATE has no zone in the
collection; it is written as UTC (+0000, Z); the one DATE whose time is not a
time (NEWID 17192, "605:12:19.12") is written as a date only.  Every record with a body has a
<TITLE>; were one missing, the body's first non-blank line would be the
headline (counted in the summary as "headline from body").

--jsonl FILE writes one JSON Lines feed instead of text files, one record per
story: {"id": "reuters-N", "title", "body", "date" (ISO 8601, Z), "source":
"Reuters"}; "body" holds the paragraphs (an indented or blank-line-separated
run of lines, joined with single spaces; a line ending in a letter or digit
and a hyphen is joined without one) separated by "\n\n", the dateline opening
the first.

The ground truth (--truth FILE, default <out>/truth.tsv; a header row first):
    newid  relative_path  dateline_place  dateline_day  body_sha1  title
relative_path is relative to <out> (for the feed: "FILE#reuters-N", FILE
relative to <out> when inside it, else its base name).  dateline_place and
dateline_day come from the <DATELINE> element ("PORTLAND, Ore., Feb 26 - " ->
"PORTLAND, Ore." and "Feb 26"); both are empty when the element is not a
dateline (the tagger also put table rows such as "MAR8  --     --" or
"us  7.8015 - " there) and the day is empty when none is given ("TOKYO - ").
body_sha1 is the SHA-1 of the <BODY> text decoded, control characters dropped,
whitespace collapsed to single spaces and trimmed: equal hashes are exact
repeats.  Tabs and newlines in a title are written as spaces.

Nothing from the corpus is written anywhere but --out (and --truth/--jsonl).
When ../shared is absent the script says so and exits 0.  Standard library
only.
"""

import argparse
import datetime
import email.utils
import glob
import hashlib
import json
import os
import re
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
DEFAULT_SHARED = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared"))
PROG = "reuters.py"

RECORD_RE = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
NEWID_RE = re.compile(r'\bNEWID="(\d+)"')
DATE_RE = re.compile(r"<DATE>(.*?)</DATE>", re.S)
TITLE_RE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
DATELINE_RE = re.compile(r"<DATELINE>(.*?)</DATELINE>", re.S)
BODY_RE = re.compile(r"<BODY>(.*?)</BODY>", re.S)
DAY_STAMP_RE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
TIME_RE = re.compile(r" +(\d{1,2}):(\d{2}):(\d{2})")
ENTITY_RE = re.compile(r"&(#\d+|lt|gt|amp|quot|apos);")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
SIGNOFF_RE = re.compile(r"^\s*reuter\.*(\^M)?\s*$", re.I)


def progress(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def skip(msg):
    print(f"Skipped: {msg}")
    progress(f"skipped: {msg}")
    sys.exit(0)


# ---------------------------------------------------------------------------
# SGML records


def decode_sgml(s):
    """&lt; &amp; ... decoded; numeric references to control characters
    (all the collection has) dropped, others decoded."""
    def one(m):
        name = m.group(1)
        if name[0] != "#":
            return NAMED[name]
        n = int(name[1:])
        return "" if n < 32 or n == 127 else chr(n)
    return ENTITY_RE.sub(one, s)


def records(shared):
    """Each <REUTERS> record of the collection, in file order, as a dict of
    its raw (undecoded) parts; absent parts are None."""
    for path in sorted(glob.glob(os.path.join(shared, "reut2-*.sgm"))):
        with open(path, "rb") as f:
            text = f.read().decode("latin-1")
        for m in RECORD_RE.finditer(text):
            attrs, inner = m.group(1), m.group(2)
            part = {}
            for key, rx in (("date", DATE_RE), ("title", TITLE_RE),
                            ("dateline", DATELINE_RE), ("body", BODY_RE)):
                pm = rx.search(inner)
                part[key] = pm.group(1) if pm else None
            idm = NEWID_RE.search(attrs)
            part["newid"] = int(idm.group(1)) if idm else None
            part["file"] = os.path.basename(path)
            yield part


def parse_stamp(raw):
    """'26-FEB-1987 15:01:01.79' (perhaps with leading spaces and trailing
    noise) -> (UTC datetime, has_time), or None.  A time that is not one
    (NEWID 17192 says '605:12:19.12') leaves the date alone."""
    text = decode_sgml(raw or "")
    m = DAY_STAMP_RE.search(text)
    if not m or m.group(2).upper() not in MONTHS:
        return None
    d, mon, y = int(m.group(1)), MONTHS[m.group(2).upper()], int(m.group(3))
    t = TIME_RE.match(text, m.end())
    try:
        if t:
            return datetime.datetime(y, mon, d, *map(int, t.groups()),
                                     tzinfo=datetime.timezone.utc), True
    except ValueError:
        pass
    try:
        return datetime.datetime(y, mon, d, tzinfo=datetime.timezone.utc), False
    except ValueError:
        return None


def format_date(stamp, form):
    dt, has_time = stamp
    if form == "iso":
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ" if has_time else "%Y-%m-%d")
    if form == "desk":
        return dt.strftime("%d %b %Y %H:%M" if has_time else "%d %b %Y").lstrip("0")
    if not has_time:
        return dt.strftime("%a, %d %b %Y")
    return email.utils.format_datetime(dt)  # 'Thu, 26 Feb 1987 15:01:01 +0000'


def collapse(s):
    return " ".join(s.split())


def body_sha1(body_raw):
    return hashlib.sha1(collapse(decode_sgml(body_raw)).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Datelines: place and day from the <DATELINE> element

MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
# "Feb 26", "MAR 2", "April, 13", the European "2 March", and the wire's typos
# "March 2O", "April l", "Apri l7" (a letter l or O only after a space or a digit,
# so that "RIO DE JANEIRO" is not "JANEIR O").
DAY_RE = re.compile(r"\b(?:" + MONTH_WORD + r"\.?,?(?:\s*\d{1,3}O?|\s+[lO]\d?)\b|\d{1,2}\s+" +
                    MONTH_WORD + r"\b)", re.I)
# A misspelt month before the dash: "NEW YORK, Narch 2 -", "BUENOS AIRES, ABR 7 -".
ODD_DAY_RE = re.compile(r",\s*([A-Za-z]{2,9}\.?\s+\d{1,3})\s*-")
MONTH_ONLY_RE = re.compile(r"^" + MONTH_WORD + r"\.?$", re.I)
# Letters and . ' & / } - in words, words joined by a space or ", ".
PLACE_RE = re.compile(r"^[A-Za-z][A-Za-z.'&/}\-]*(?:,? ?[A-Za-z.'&/}\-]+)*$")


def looks_like_phrase(place):
    """'As of', 'Bids only', 'Fob Gulf edible oils': words of a table heading,
    not a place.  (Lower-case places such as 'sioux falls' or 'La paz' pass.)"""
    words = place.replace(",", " ").split()
    lower = sum(1 for w in words if w.islower())
    return words[-1] in ("of", "only", "and", "at") or (len(words) >= 3 and lower >= 2)


def clean_place(s):
    s = re.sub(r"\s+,", ",", s.strip())          # "OAKLAND , N.J."
    while True:
        t = re.sub(r"(\s*[-,])+$", "", s).strip()   # "CHEVY CHASE, Md., -"
        t = re.sub(r",\s*Reuter$", "", t, flags=re.I).strip()
        if t == s:
            return s
        s = t


def parse_dateline(raw):
    """(place, day) of a <DATELINE> element, '' for what it lacks; ('', '')
    when it is not a dateline at all (a table row, a number)."""
    d = collapse(decode_sgml(raw or ""))
    d = re.sub(r"^[^A-Za-z]+", "", d)            # "****WASHINGTON", "0 LONDON", "- Position"
    if not d:
        return "", ""
    m = DAY_RE.search(d)
    span = (m.start(), m.group(0)) if m else None
    if not span:
        m = ODD_DAY_RE.search(d)
        span = (m.start(1), m.group(1)) if m else None
    if span:
        place, day = clean_place(d[:span[0]]), collapse(span[1].replace(",", " "))
    else:
        cut = re.search(r"\s-|-$", d)             # not the hyphen of "WINSTON-SALEM"
        place, day = clean_place(d[:cut.start()] if cut else d), ""
        place = re.sub(r",\s*" + MONTH_WORD + r"$", "", place, flags=re.I)  # "CHICAGO, April"
    if place and (not PLACE_RE.match(place) or MONTH_ONLY_RE.match(place)
                  or looks_like_phrase(place)):
        place = ""
    if not place and not day:
        return "", ""
    return place, day


# ---------------------------------------------------------------------------
# Story text


def drop_signoff(text):
    lines = text.rstrip().split("\n")
    if lines and SIGNOFF_RE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines).rstrip()


def story_text(rec, date_form, join_datelines, signoff):
    """(file text, headline, headline_from_body, dateline_own_line)."""
    dateline = decode_sgml(rec["dateline"] or "")
    body = decode_sgml(rec["body"])
    if not signoff:
        body = drop_signoff(body)
    own_line = "\n" in dateline
    if join_datelines and own_line:
        dateline = dateline.rstrip() + " "
        body = body.lstrip()
    text = (dateline + body).rstrip()
    title = collapse(decode_sgml(rec["title"] or ""))
    from_body = not title
    if from_body:
        title = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    head = []
    stamp = parse_stamp(rec["date"])
    if stamp:
        head.append(f"Date: {format_date(stamp, date_form)}")
    head.append("Source: Reuters")
    return "\n".join(head) + "\n\n" + title + "\n" + text + "\n", title, from_body, own_line


def feed_paragraphs(text):
    """Wire text -> paragraphs: an indented line or a blank line starts one;
    lines joined with spaces, after a word-hyphen without one."""
    paras, cur = [], []
    for line in text.split("\n"):
        if not line.strip():
            if cur:
                paras.append(cur)
            cur = []
            continue
        if line[:1].isspace() and cur:
            paras.append(cur)
            cur = []
        cur.append(line.strip())
    if cur:
        paras.append(cur)
    out = []
    for lines in paras:
        s = lines[0]
        for ln in lines[1:]:
            s += ln if re.search(r"[A-Za-z0-9]-$", s) else " " + ln
        out.append(s)
    return out


def feed_record(rec, signoff):
    dateline = decode_sgml(rec["dateline"] or "")
    body = decode_sgml(rec["body"])
    if not signoff:
        body = drop_signoff(body)
    # The dateline opens the lede, also where the wire gave it a line of its own.
    paras = [collapse(p) for p in feed_paragraphs(dateline.replace("\n", " ") + body)]
    title = collapse(decode_sgml(rec["title"] or "")) or (paras[0] if paras else "")
    obj = {"id": f"reuters-{rec['newid']}", "title": title, "body": "\n\n".join(paras)}
    stamp = parse_stamp(rec["date"])
    if stamp:
        obj["date"] = format_date(stamp, "iso")
    obj["source"] = "Reuters"
    return obj


# ---------------------------------------------------------------------------


def parse_args():
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Convert Reuters-21578 (SGML, read in place from ../shared) into "
                    "wire-copy text files or a JSON Lines feed, with a ground-truth TSV "
                    "of datelines and body hashes.",
        epilog="Example: python3 bench/reuters.py --out /tmp/x && "
               "build/indexer/nutgraf-index -i /tmp/x/r.db /tmp/x/reuters")
    ap.add_argument("--shared", default=DEFAULT_SHARED,
                    help="the shared directory (default: the repo root's ../shared)")
    ap.add_argument("--out", default=None,
                    help="output directory (default: a new temporary directory, printed)")
    ap.add_argument("--truth", default=None, help="ground-truth TSV (default OUT/truth.tsv)")
    ap.add_argument("--jsonl", default=None, metavar="FILE",
                    help="write one JSON Lines feed to FILE instead of text files")
    ap.add_argument("--date-form", choices=("rfc2822", "desk", "iso"), default="rfc2822",
                    help="Date: header form: rfc2822 'Thu, 26 Feb 1987 15:01:01 +0000' "
                         "(default), desk '26 Feb 1987 15:01', iso '1987-02-26T15:01:01Z'")
    ap.add_argument("--shard", type=int, default=1000,
                    help="stories per subfolder, by NEWID // N (default 1000; 0: one folder)")
    ap.add_argument("--join-datelines", action="store_true",
                    help="put a dateline the wire sent on its own line in front of the "
                         "lede's first line")
    ap.add_argument("--drop-signoff", action="store_true",
                    help="drop the final 'Reuter' sign-off line")
    ap.add_argument("--limit", type=int, default=0,
                    help="convert only the first N stories with a body (0: all)")
    return ap.parse_args()


def main():
    args = parse_args()
    corpus = os.path.join(args.shared, "corpora", "reuters21578")
    if not glob.glob(os.path.join(corpus, "reut2-*.sgm")):
        skip(f"Reuters-21578 not found in {corpus} (../shared is absent?)")
    out = args.out or tempfile.mkdtemp(prefix="nutgraf-reuters-")
    os.makedirs(out, exist_ok=True)
    out = os.path.abspath(out)
    truth_path = args.truth or os.path.join(out, "truth.tsv")
    t0 = time.perf_counter()

    n_records = n_written = n_bytes = 0
    n_place = n_day = n_junk = n_own_line = n_from_body = n_nodate = 0
    seen_hash = {}
    n_repeats = 0
    feed = None
    feed_rel = None
    if args.jsonl:
        jpath = os.path.abspath(args.jsonl)
        os.makedirs(os.path.dirname(jpath), exist_ok=True)
        feed = open(jpath, "w", encoding="utf-8", newline="\n")
        rel = os.path.relpath(jpath, out)
        feed_rel = rel if not rel.startswith("..") else os.path.basename(jpath)
    with open(truth_path, "w", encoding="utf-8", newline="\n") as truth:
        truth.write("newid\trelative_path\tdateline_place\tdateline_day\tbody_sha1\ttitle\n")
        for rec in records(corpus):
            n_records += 1
            if rec["body"] is None or rec["newid"] is None:
                continue
            if args.limit and n_written >= args.limit:
                break
            newid = rec["newid"]
            stamp = parse_stamp(rec["date"])
            if stamp is None or not stamp[1]:
                n_nodate += 1
            if feed:
                obj = feed_record(rec, not args.drop_signoff)
                line = json.dumps(obj, ensure_ascii=False) + "\n"
                feed.write(line)
                n_bytes += len(line.encode("utf-8"))
                rel = f"{feed_rel}#reuters-{newid}"
                title = obj["title"]
                if "\n" in (rec["dateline"] or ""):
                    n_own_line += 1
            else:
                text, title, from_body, own_line = story_text(
                    rec, args.date_form, args.join_datelines, not args.drop_signoff)
                n_from_body += from_body
                n_own_line += own_line
                sub = f"{newid // args.shard:02d}" if args.shard > 0 else ""
                rel = os.path.join("reuters", sub, f"reuters-{newid:05d}.txt")
                path = os.path.join(out, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                data = text.encode("utf-8")
                with open(path, "wb") as f:
                    f.write(data)
                n_bytes += len(data)
            n_written += 1
            place, day = parse_dateline(rec["dateline"])
            if place:
                n_place += 1
            if day:
                n_day += 1
            if not place and not day:
                n_junk += 1
            h = body_sha1(rec["body"])
            if h in seen_hash:
                n_repeats += 1
            else:
                seen_hash[h] = newid
            clean_title = re.sub(r"[\t\r\n]+", " ", title)
            truth.write(f"{newid}\t{rel}\t{place}\t{day}\t{h}\t{clean_title}\n")
    if feed:
        feed.close()
    secs = time.perf_counter() - t0

    print(f"Reuters-21578 from {corpus}")
    print(f"- records read: {n_records}; stories written (with a <BODY>): {n_written}")
    where = args.jsonl if feed else os.path.join(out, "reuters")
    print(f"- output: {where} ({n_bytes:,} bytes{'' if feed else ', one file per story'})")
    print(f"- truth: {truth_path}")
    print(f"- dateline place in truth: {n_place}; without one: {n_written - n_place} "
          f"({n_written - n_place - n_junk} give a day only, {n_junk} <DATELINE> elements "
          f"are not datelines: table rows, numbers)")
    print(f"- dateline day in truth: {n_day}; dateline on a line of its own in the wire: "
          f"{n_own_line}{' (joined to the lede)' if args.join_datelines and not feed else ''}")
    print(f"- bodies that exactly repeat an earlier one (body_sha1): {n_repeats}; "
          f"distinct bodies: {len(seen_hash)}")
    print(f"- headline from body (no <TITLE>): {n_from_body}; <DATE> without a valid time "
          f"(date only written): {n_nodate}")
    print(f"- sign-off {'dropped' if args.drop_signoff else 'kept'}; "
          f"date form {'iso (feed)' if feed else args.date_form}")
    print(f"- time: {secs:.1f} s")
    if not args.out:
        print(f"Output directory: {out}")


if __name__ == "__main__":
    main()

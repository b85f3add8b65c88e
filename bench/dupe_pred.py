#!/usr/bin/env python3
"""nutgraf's duplicate groups -> the PRED.tsv that `wire_eval.py dupe-score` reads.

Runs `nutgraf-query -i DB --all --limit 0 --format json` (or reads such
JSON Lines from --json FILE, '-' for stdin) and writes one line per
document: its path and its group, the id of the group's first-seen member
("dup_of", or the document's own "doc_id" when it is that member or has no
copy), with a header row.  Standard library only.

    python3 bench/dupe_pred.py --index /tmp/d/d.db > /tmp/d/pred.tsv
    python3 bench/wire_eval.py dupe-score --truth /tmp/d/groups.tsv --pred /tmp/d/pred.tsv
"""

import argparse
import json
import os
import subprocess
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)


def main():
    ap = argparse.ArgumentParser(prog="dupe_pred.py", description=__doc__.split("\n")[0])
    ap.add_argument("--index", help="the nutgraf index")
    ap.add_argument("--json", help="read nutgraf-query's JSON Lines from FILE ('-': stdin) instead")
    ap.add_argument("--build", default="build", help="nutgraf build directory (default build)")
    args = ap.parse_args()
    if args.json:
        lines = sys.stdin if args.json == "-" else open(args.json, encoding="utf-8")
    elif args.index:
        build = args.build if os.path.isabs(args.build) else os.path.join(REPO_ROOT, args.build)
        cmd = [os.path.join(build, "query", "nutgraf-query"), "-i", args.index, "--all", "--limit", "0",
               "--format", "json"]
        lines = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.splitlines()
    else:
        ap.error("give --index DB or --json FILE")
    seen = set()
    out = sys.stdout
    out.write("relative_path\tpredicted_group\n")
    for line in lines:
        if not line.strip():
            continue
        rec = json.loads(line)
        path = rec["path"]
        if path in seen:
            continue
        seen.add(path)
        group = rec.get("dup_of") or rec["doc_id"]
        out.write(f"{path}\t{group}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

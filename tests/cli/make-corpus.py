#!/usr/bin/env python3
"""Writes a synthetic news corpus for the concurrency and kill tests:
N articles (headline, blank line, paragraphs), deterministic for a seed.
The words are made up here; nothing is copied from anywhere."""
import os
import random
import sys

out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
topics = ["ceasefire", "sanctions", "election", "summit", "pipeline", "harvest", "tariff", "strike",
          "budget", "inflation", "flood", "vaccine", "treaty", "merger", "drought", "protest"]
words = ("the a of to in and said on for with by officials ministers talks government report "
         "week month year city region council union market prices workers plan deal vote court "
         "police border trade energy water health schools ports rail banks farmers envoys "
         "agreed rejected warned announced delayed signed opened closed rose fell").split()
for i in range(n):
    d = os.path.join(out, "desk%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    topic = rng.choice(topics)
    lines = ["%s talks %s as %s %s" % (topic.capitalize(), rng.choice(words), rng.choice(words), rng.choice(topics)), ""]
    for _ in range(rng.randint(3, 9)):
        para = " ".join(rng.choice(words + [topic] * 3) for _ in range(rng.randint(25, 70)))
        lines += [para.capitalize() + ".", ""]
    with open(os.path.join(d, "story%05d.txt" % i), "w") as f:
        f.write("\n".join(lines))

#!/usr/bin/env python3
"""Writes a synthetic JSON Lines feed for the feed kill and memory tests:
N records (id, title, body of 2-6 paragraphs, date, source), deterministic
for a version.  Version 1 is the base; every other version keeps most
records as they are, changes every third one's body, drops every seventh
and adds new ids after N, so that reading it over version 1's records
changes, removes and adds records.  The words are made up here.
    make-feed.py OUT N [VERSION]"""
import json
import random
import sys

out, n = sys.argv[1], int(sys.argv[2])
version = int(sys.argv[3]) if len(sys.argv) > 3 else 1
words = ("the a of to in and said on for with by officials ministers talks government report week month "
         "year city region council union market prices workers plan deal vote court police border trade "
         "energy water health schools ports rail banks farmers envoys agreed rejected warned announced "
         "delayed signed opened closed rose fell ceasefire sanctions election summit tariff").split()


def record(i, salt):
    rng = random.Random(i * 1000003 + salt)
    paras = [" ".join(rng.choice(words) for _ in range(rng.randint(20, 50))).capitalize() + "."
             for _ in range(rng.randint(2, 6))]
    return {"id": "w%06d" % i, "title": " ".join(rng.choice(words) for _ in range(6)).capitalize(),
            "body": "\n\n".join(paras), "date": "2025-%02d-%02d" % (1 + i % 12, 1 + i % 28),
            "source": "Synthetic Wire"}


with open(out, "w") as f:
    for i in range(n):
        if version != 1 and i % 7 == 3:
            continue  # dropped
        salt = version if version != 1 and i % 3 == 0 else 1
        f.write(json.dumps(record(i, salt)) + "\n")
    if version != 1:
        for i in range(n, n + n // 10):  # added
            f.write(json.dumps(record(i, version)) + "\n")

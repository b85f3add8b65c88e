#!/usr/bin/env python3
"""HTTP client for the nutgraf-serve cases (tests/cli/cases/serve*.sh),
standard library only.  Each subcommand prints one line per failed check
("FAIL ..."), a summary line, and exits 1 when a check failed.

  compare  URL INDEX QUERIES   /search equals nutgraf-query --format json
  hostile  URL QUERIES         hostile queries answer 200 or 400 (JSON; 404 too for
                               a story not stored)
  attacks  URL TIMEOUT         hostile HTTP: long URL, bad encoding, slow
                               client, idle connections, header flood
  load     URL QUERIES N C [F] N requests (and on until file F exists) from
                               C concurrent clients
"""
import codecs
import http.client
import json
import os
import random
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

LEAKS = ("sqlite", "fts5", "syntax error", "malformed", "no such")


def parse_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def get(url, path, headers=None, timeout=30):
    """(status, headers, body bytes) of one GET on a fresh connection."""
    host, port = parse_url(url)
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def queries_of(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                out.append(line)
    return out


def pairs(text):
    """JSON with objects as lists of (key, value): compares key order too."""
    return json.loads(text, object_pairs_hook=list)


def compare(url, index, queries_file):
    failed = checked = 0
    for q in queries_of(queries_file):
        for extra, qargs in (({}, []), ({"offset": "10"}, ["--offset", "10"]), ({"sort": "date", "limit": "5"},
                                                                                   ["--sort", "date", "--limit", "5"])):
            params = dict(extra, q=q)
            status, _, body = get(url, "/search?" + urllib.parse.urlencode(params))
            cli = subprocess.run(["nutgraf-query", "-i", index, "--format", "json"] + qargs + ["--", q],
                                 capture_output=True, text=True)
            count = subprocess.run(["nutgraf-query", "-i", index, "--count", "--", q], capture_output=True, text=True)
            checked += 1
            why = []
            if status != 200:
                why.append("status %d: %s" % (status, body[:200]))
            else:
                doc = pairs(body.decode("utf-8"))
                keys = [k for k, _ in doc]
                d = dict(doc)
                want = [pairs(line) for line in cli.stdout.splitlines()]
                if keys != ["version", "query", "interpreted", "total", "offset", "limit", "hits", "suggestion"]:
                    why.append("members %s" % keys)
                if d.get("hits") != want:
                    got = d.get("hits") or []
                    why.append("hits differ: %d from the server, %d from nutgraf-query; first difference at %s" % (
                        len(got), len(want), next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                                                  min(len(got), len(want)))))
                if str(d.get("total")) != count.stdout.strip():
                    why.append("total %s, nutgraf-query --count %s" % (d.get("total"), count.stdout.strip()))
                if d.get("query") != q:
                    why.append("query %r" % d.get("query"))
            if why:
                failed += 1
                print("FAIL %r %s: %s" % (q, extra, "; ".join(why)))
    print("compare: %d searches, %d differ" % (checked, failed))
    return failed == 0


def hostile(url, queries_file):
    lines = []
    with open(queries_file, "rb") as f:
        for raw in f:
            raw = raw.rstrip(b"\n")
            if raw.startswith(b"#"):
                continue
            lines.append(codecs.escape_decode(raw)[0])  # as printf %b decodes them
    rng = random.Random(7)
    for _ in range(200):
        lines.append(bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 200))))
    # A story the index holds, for the story view's search of each query
    # (whole passages): the first hit of ceasefire.
    status, _, body = get(url, "/search?q=ceasefire&limit=1")
    hits = json.loads(body)["hits"] if status == 200 else []
    story = hits[0]["path"] if hits else "/none"
    failed = runs = 0
    for q in lines:
        for path, extra in (("/search", {}), ("/search", {"any": "1"}), ("/search", {"sort": "date"}),
                            ("/count", {}), ("/suggest", {}), ("/timeline", {}), ("/timeline", {"by": "source"}),
                            ("/show", {"story": q.decode("utf-8", "replace")}), ("/", {}), ("/", {"story": story}),
                            ("/", {"story": q.decode("utf-8", "replace") + "/x\"y*[z\\"})):
            query = urllib.parse.urlencode(dict(extra, q=q))
            start = time.monotonic()
            try:
                status, headers, body = get(url, path + "?" + query)
            except (OSError, http.client.HTTPException) as e:
                status, headers, body = "%s after %.1f s" % (type(e).__name__, time.monotonic() - start), {}, b""
            runs += 1
            why = None
            if status not in (200, 400) and not (extra.get("story", story) != story and status == 404):
                why = "status %s" % status
            elif path != "/":
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                    why = "not JSON: %r" % body[:100]
                if doc is not None and status in (400, 404):
                    msg = doc.get("error") if isinstance(doc, dict) else None
                    if not isinstance(msg, str) or "\n" in msg or not msg:
                        why = "400 without a one-line error: %r" % body[:200]
                    elif any(w in msg.lower() for w in LEAKS):
                        why = "leaks an SQLite message: %s" % msg
            elif "text/html" not in headers.get("Content-Type", ""):
                why = "the page is %s" % headers.get("Content-Type")
            if why:
                failed += 1
                print("FAIL %s %r: %s" % (path, q[:60], why))
    print("hostile: %d requests, %d answered other than 200 or 400 with JSON" % (runs, failed))
    return failed == 0


def raw_exchange(host, port, data, timeout=10):
    """Sends bytes on a fresh socket; returns (status or None, bytes read)."""
    s = socket.create_connection((host, port), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close before all of it is sent
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
            if b"\r\n\r\n" in got and b"Content-Length" not in got.split(b"\r\n\r\n")[0]:
                break
    finally:
        s.close()
    status = None
    if got.startswith(b"HTTP/1."):
        try:
            status = int(got.split(b" ", 2)[1])
        except ValueError:
            pass
    return status, got


def attacks(url, timeout):
    host, port = parse_url(url)
    failed = 0

    def check(name, ok, detail=""):
        nonlocal failed
        if ok:
            print("ok   %s" % name)
        else:
            failed += 1
            print("FAIL %s %s" % (name, detail))

    # A 1 MB request target, and a 100,000-character query.
    for name, n in (("a 1 MB URL", 1 << 20), ("a 100,000-character query", 100000)):
        status, got = raw_exchange(host, port, b"GET /search?q=" + b"a" * n + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        check("%s is answered 4xx or closed (%s)" % (name, status), status is None or 400 <= status < 500, got[:80])
    # Bad percent-encoding, invalid UTF-8 (encoded and raw), a NUL.
    for name, target in (("bad percent-encoding", b"/search?q=%zz%"), ("a lone %", b"/search?q=100%"),
                         ("invalid UTF-8 in q", b"/search?q=%ff%fe%c0%af"), ("raw bytes in q", b"/search?q=\xff\xfe"),
                         ("a NUL in q", b"/search?q=a%00b"), ("a surrogate in q", b"/search?q=%ed%a0%80")):
        status, got = raw_exchange(host, port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        body = got.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in got else b""
        is_json = body.startswith(b"{\"error\":")
        check("%s is answered 400 with a JSON error (%s)" % (name, status), status == 400 and is_json, got[:200])
    # Not HTTP at all.
    status, got = raw_exchange(host, port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64)
    check("a TLS hello is answered 4xx or closed (%s)" % status, status is None or 400 <= status < 500, got[:80])
    status, got = raw_exchange(host, port, b"GARBAGE\r\n\r\n")
    check("a garbage request line is answered 4xx or closed (%s)" % status, status is None or 400 <= status < 500)
    # A header flood: many headers, then one endless header.
    flood = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-Flood-%d: %s\r\n" % (i, b"y" * 20)
                                                               for i in range(20000)) + b"\r\n"
    status, got = raw_exchange(host, port, flood)
    check("20,000 headers are answered 4xx or closed (%s)" % status, status is None or 400 <= status < 500, got[:80])
    status, got = raw_exchange(host, port, b"GET /health HTTP/1.1\r\nX-Long: " + b"z" * (1 << 20) + b"\r\n\r\n")
    check("a 1 MB header is answered 4xx or closed (%s)" % status, status is None or 400 <= status < 500, got[:80])
    # A slow client: one byte a second must be cut by the timeout.
    s = socket.create_connection((host, port), timeout=timeout + 10)
    request = b"GET /search?q=ceasefire HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 1000
    start = time.monotonic()
    cut = None
    for i in range(len(request)):
        try:
            s.send(request[i:i + 1])
        except OSError:
            cut = time.monotonic() - start
            break
        s.settimeout(1.0)
        try:
            if s.recv(4096) == b"":
                cut = time.monotonic() - start
                break
        except socket.timeout:
            pass
        except OSError:
            cut = time.monotonic() - start
            break
        if time.monotonic() - start > timeout + 10:
            break
    s.close()
    check("a client sending a byte a second is cut after %s s (timeout %s s)" % (
        "%.1f" % cut if cut is not None else "never", timeout), cut is not None and cut < timeout + 3)
    # 1,000 connections opened and left idle.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    socks, refused = [], 0
    for _ in range(1000):
        try:
            socks.append(socket.create_connection((host, port), timeout=5))
        except OSError:
            refused += 1
    time.sleep(0.5)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("     1,000 idle connections: %d refused, %d closed by the server at once, %d held" % (
        refused, closed, len(socks) - closed))
    for s in socks:
        s.close()
    status = None
    for _ in range(50):
        try:
            status, _, _ = get(url, "/health", timeout=5)
            break
        except OSError:
            time.sleep(0.2)
    check("after 1,000 idle connections /health answers (%s)" % status, status == 200)
    status, _, body = get(url, "/health")
    check("and after everything else, /health answers %s" % status, status == 200, body[:200])
    return failed == 0


def load(url, queries_file, total, clients, until=None, paths=("/search", "/count")):
    """At least total requests, and on until the file until exists."""
    queries = queries_of(queries_file)
    host, port = parse_url(url)
    lock = threading.Lock()
    state = {"next": 0, "errors": 0, "statuses": {}, "examples": []}

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            with lock:
                i = state["next"]
                if i >= total and (until is None or os.path.exists(until)):
                    break
                state["next"] += 1
            q = queries[i % len(queries)]
            path = paths[i % len(paths)] + "?" + urllib.parse.urlencode({"q": q})
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
            except (OSError, http.client.HTTPException) as e:
                status = type(e).__name__
                body = b""
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            with lock:
                state["statuses"][status] = state["statuses"].get(status, 0) + 1
                if status != 200:
                    state["errors"] += 1
                    if len(state["examples"]) < 5:
                        state["examples"].append("%s %s %s" % (status, path, body[:200].decode("utf-8", "replace")))
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    done = state["next"]
    print("load: %d requests from %d clients in %.1f s (%.0f/s), %d errors; statuses %s" % (
        done, clients, took, done / took, state["errors"], state["statuses"]))
    for e in state["examples"]:
        print("FAIL %s" % e)
    return state["errors"] == 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "compare":
        ok = compare(*args)
    elif cmd == "hostile":
        ok = hostile(*args)
    elif cmd == "attacks":
        ok = attacks(args[0], float(args[1]))
    elif cmd == "load":
        ok = load(args[0], args[1], int(args[2]), int(args[3]), args[4] if len(args) > 4 else None)
    else:
        sys.exit("unknown command " + cmd)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

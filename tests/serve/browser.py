#!/usr/bin/env python3
"""Drives headless Chromium through nutgraf-serve's search page, over the
Chrome DevTools Protocol (a websocket, spoken here with the standard
library), and checks what a person would see.

usage: browser.py CHROMIUM URL ARTEFACT_DIR

The index behind URL must hold the fixtures serve-browser.sh writes: more
than ten stories about a ceasefire (headline and paragraph: "+1 more in
this story"), dated ones in 2024, 2025 and 2026, a headline holding
<script>, a story about a quokka truce in two copies, and harbour.txt,
five passages of which the headline and paragraph 3 hold "gannets".
Prints "ok"/"FAIL" lines; exits 1 when a check failed, 77 when Chromium
does not start.  Writes search-page.png (desktop), search-page-story.png
(the harbour story's view), search-page-markup.png (the <script>
headline) and search-page-phone.png into ARTEFACT_DIR.
"""
import base64
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-port=0", "--window-size=1100,1400"]


class WebSocket:
    """The client side of RFC 6455, text frames only, enough for CDP."""

    def __init__(self, url):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" %
                           (m.group(3), m.group(1), m.group(2), key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("websocket handshake: connection closed")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise OSError("websocket handshake: %r" % head[:100])
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise OSError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text):
        data = text.encode()
        head = bytes([0x81])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = b0 & 0x0F
            if opcode == 8:
                raise OSError("websocket closed by the browser")
            if opcode == 9:  # ping
                continue
            message += data
            if b0 & 0x80:
                return message.decode()


class Page:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expression, r["exceptionDetails"].get("text")))
        return r.get("result", {}).get("value")

    def until(self, expression, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        return None

    def load(self, url):
        self.events = []
        self.call("Page.navigate", url=url)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if any(e["method"] == "Page.loadEventFired" for e in self.events):
                return True
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
        return False

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


failures = 0


def check(name, ok, detail=""):
    global failures
    if ok:
        print("ok   %s" % name)
    else:
        failures += 1
        print("FAIL %s %s" % (name, detail))


def start_chromium(binary, profile):
    proc = subprocess.Popen([binary] + FLAGS + ["--user-data-dir=" + profile, "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    port = None
    end = time.monotonic() + 30
    while time.monotonic() < end:
        line = proc.stderr.readline().decode(errors="replace")
        if not line and proc.poll() is not None:
            break
        m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        if m:
            port = int(m.group(1))
            break
    return proc, port


def main():
    binary, url, artefacts = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
    os.makedirs(artefacts, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="nutgraf-chromium-")
    proc, port = start_chromium(binary, profile)
    if not port:
        print("SKIP chromium did not start")
        os.killpg(proc.pid, signal.SIGKILL)
        sys.exit(77)
    try:
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10))
        target = next(t for t in targets if t.get("type") == "page")
        page = Page(WebSocket(target["webSocketDebuggerUrl"]))
        page.call("Page.enable")
        page.call("Runtime.enable")
        run_checks(page, url, artefacts)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", profile])
    print("browser: %d checks failed" % failures)
    sys.exit(1 if failures else 0)


def search(page, query):
    """Types the query into the form and submits it, as a person would."""
    page.js("document.querySelector('input[name=q]').value = %s; document.getElementById('search').requestSubmit(); 1"
            % json.dumps(query))
    return page.until("document.querySelector('#results .status') && !document.querySelector('#results[aria-busy]')"
                      " && location.search.indexOf('q=') >= 0 ? document.querySelector('#results .status').textContent"
                      " : null")


# The harbour story as serve-browser.sh writes it: its passages' labels,
# lines and texts, and which of them hold "gannets".
HARBOUR = [("Headline", "line 1", "Gannets return to the harbour"),
           ("Paragraph 1", "line 3", "Ferries sailed again on Tuesday, the port authority said."),
           ("Paragraph 2", "line 5", "Fishermen mended nets on the quay while the first passengers came ashore."),
           ("Paragraph 3", "line 7", "Birdwatchers counted four hundred gannets on the breakwater, the most in a decade."),
           ("Paragraph 4", "line 9", "The next sailing is due on Friday, weather permitting.")]
HARBOUR_MATCHES = ["Headline", "Paragraph 3"]

# The story view as a person reads it: per passage its label, line, text,
# whether it is marked as a match, and its highlighted words.
STORY_VIEW = ("Array.from(document.querySelectorAll('section.story .passage')).map(p => ["
              "p.querySelector('.meta span:first-child').textContent, p.querySelector('.meta span + span').textContent,"
              " p.querySelector('.text').textContent, p.classList.contains('match'),"
              " Array.from(p.querySelectorAll('.text mark')).map(m => m.textContent)])")


def check_harbour(page, how):
    """The harbour story's view: the whole story, the matches marked."""
    view = page.js(STORY_VIEW) or []
    check("%s: the whole story, five passages in order with their lines (%s)"
          % (how, ", ".join("%s %s" % (v[0], v[1]) for v in view)),
          [tuple(v[:3]) for v in view] == HARBOUR)
    matched = [v[0] for v in view if v[3]]
    check("%s: the passages that match are marked (%s)" % (how, ", ".join(matched)), matched == HARBOUR_MATCHES)
    marks = [(v[0], m) for v in view for m in v[4]]
    check("%s: their matches highlighted, and nothing else (%s)" % (how, marks),
          marks == [("Headline", "Gannets"), ("Paragraph 3", "gannets")])
    status = page.js("document.querySelector('section.story .status').textContent")
    check("%s: the status says how many passages and how many match (%s)" % (how, status),
          status == "5 passages in this story; 2 match the query.")
    headline = page.js("document.querySelector('section.story h2').textContent")
    check("%s: under the story's headline (%r)" % (how, headline), headline == HARBOUR[0][2])
    back = page.js("document.querySelector('section.story a[rel=up]').getAttribute('href')")
    check("%s: with a link back to the results (%s)" % (how, back), back == "/?q=gannets")


def run_checks(page, url, artefacts):
    check("the page loads", page.load(url + "/"))
    check("it has a search box and a date range",
          page.js("!!document.querySelector('input[name=q]') && !!document.querySelector('input[name=since]')"
                  " && !!document.querySelector('input[name=until]')"))
    check("and a viewport for phones", page.js("!!document.querySelector('meta[name=viewport]')"))

    status = search(page, "ceasefire")
    hits = page.js("document.querySelectorAll('.hit').length")
    check("searching ceasefire shows ten hits (%s: %s)" % (status, hits), hits == 10)
    marks = page.js("Array.from(document.querySelectorAll('.hit .snippet mark')).map(m => m.textContent)") or []
    check("with highlighted matches (%s)" % ", ".join(sorted(set(marks))[:5]),
          marks and all(re.match(r"(?i)(cease-?fire|truce|armistice)", m) for m in marks))
    check("a headline, a date and a source on dated hits",
          page.js("Array.from(document.querySelectorAll('.hit')).some(h => h.querySelector('h2').textContent &&"
                  " h.querySelector('.date') && h.querySelector('.source'))"))
    check("the address bar follows (%s)" % page.js("location.search"), page.js("location.search") == "?q=ceasefire")
    api = page.js("document.getElementById('api').getAttribute('href')")
    check("and the JSON link (%s)" % api, api == "/search?q=ceasefire&limit=10")
    page.screenshot(os.path.join(artefacts, "search-page.png"))

    # Paging.
    total = page.js("parseInt(document.querySelector('.status').textContent.split(' \u00b7 ')[1])")
    page.js("document.querySelector('a[rel=next]').click(); 1")
    status = page.until("location.search.indexOf('offset=10') >= 0 && !document.querySelector('#results[aria-busy]')"
                        " ? document.querySelector('.status').textContent : null")
    check("Next shows stories 11-20 (%s)" % status, status == "Stories 11\u201320 \u00b7 %s passages match" % total)
    first = page.js("document.querySelector('ol.hits').start")
    check("numbered from 11 (%s)" % first, first == 11)
    page.js("document.querySelector('a[rel=prev]').click(); 1")
    status = page.until("location.search.indexOf('offset') < 0 && !document.querySelector('#results[aria-busy]')"
                        " ? document.querySelector('.status').textContent : null")
    check("Previous goes back (%s)" % status, status and status.startswith("Stories 1\u201310 "))

    # The date range.
    page.js("document.querySelector('input[name=since]').value = '2025-01-01';"
            "document.querySelector('input[name=until]').value = '2025-12-31'; 1")
    status = search(page, "ceasefire")
    dates = page.js("Array.from(document.querySelectorAll('.hit .date')).map(d => d.textContent)") or []
    n = page.js("document.querySelectorAll('.hit').length")
    check("a date range keeps 2025's hits only (%s; %s)" % (status, ", ".join(dates)),
          n and len(dates) == n and all(d.startswith("2025") for d in dates))
    page.js("document.querySelector('input[name=since]').value = '';"
            "document.querySelector('input[name=until]').value = ''; 1")

    # A headline holding <script> is text.
    search(page, "xyloquent")
    title = page.js("document.querySelector('.hit h2') && document.querySelector('.hit h2').textContent")
    check("a headline with <script> shows as text (%r)" % title, title and "<script>" in title)
    page.screenshot(os.path.join(artefacts, "search-page-markup.png"))
    check("and no script of it ran or was made",
          page.js("window.__pwned === undefined && document.querySelectorAll('#results script, #results img').length"
                  " === 0"))
    page.js("document.querySelector('.hit a.story').click(); 1")
    title = page.until("document.querySelector('section.story h2') && !document.querySelector('#results[aria-busy]')"
                       " ? document.querySelector('section.story h2').textContent : null")
    check("and as text in its story view (%r)" % title, title and "<script>" in title and
          page.js("window.__pwned === undefined && document.querySelectorAll('#results script, #results img')"
                  ".length === 0"))

    # Did you mean.
    status = search(page, "ceasfire")
    link = page.js("document.querySelector('.suggestion a') && document.querySelector('.suggestion a').textContent")
    check("a misspelling offers did-you-mean (%s; %s)" % (status, link), link == "ceasefire")
    if link:
        page.js("document.querySelector('.suggestion a').click(); 1")
        n = page.until("location.search === '?q=ceasefire' && !document.querySelector('#results[aria-busy]') ?"
                       " document.querySelectorAll('.hit').length : 0")
        check("and its link searches it (%s hits)" % n, n == 10)

    # "+N more in this story", and the story view.
    search(page, "ceasefire")
    links = page.js("Array.from(document.querySelectorAll('.hit a.story')).map(a => a.textContent)") or []
    check("each hit links to its story (%s)" % ", ".join(sorted(set(links))),
          len(links) == 10 and "+1 more in this story" in links)
    title = page.js("Array.from(document.querySelectorAll('.hit')).find(h => h.querySelector('a.story').textContent"
                    " === '+1 more in this story').querySelector('h2').textContent")
    page.js("Array.from(document.querySelectorAll('.hit a.story')).find(a => a.textContent === '+1 more in this"
            " story').click(); 1")
    n = page.until("location.search.indexOf('story=') >= 0 && document.querySelector('section.story') &&"
                   " !document.querySelector('#results[aria-busy]') ?"
                   " document.querySelectorAll('section.story .passage').length : 0")
    check("+1 more in this story opens the story view with both passages (%s)" % n, n == 2)
    where = page.js("Array.from(document.querySelectorAll('.passage .meta span:first-child')).map(s => s.textContent)")
    check("in the story's order (%s)" % where, where == ["Headline", "Paragraph 1"])
    marks = page.js("document.querySelectorAll('section.story .passage.match .text mark').length")
    check("both marked as matches, with the matches highlighted (%s marks)" % marks,
          marks >= 2 and page.js("document.querySelectorAll('section.story .passage.match').length") == 2)
    got = page.js("document.querySelector('section.story h2').textContent")
    check("under the story's headline (%r)" % got, got == title)
    page.js("document.querySelector('section.story a[rel=up]').click(); 1")
    n = page.until("!document.querySelector('section.story') && !document.querySelector('#results[aria-busy]') ?"
                   " document.querySelectorAll('.hit').length : 0")
    check("and Back returns to the results (%s hits)" % n, n == 10)

    # The whole story: passages that do not match are shown too.
    search(page, "gannets")
    link = page.js("document.querySelector('.hit a.story') && document.querySelector('.hit a.story').textContent")
    check("a story with two of its five passages matching: one hit, %r" % link, link == "+1 more in this story")
    page.js("document.querySelector('.hit a.story').click(); 1")
    page.until("location.search.indexOf('story=') >= 0 && document.querySelector('section.story .passage') &&"
               " !document.querySelector('#results[aria-busy]')")
    check_harbour(page, "the story view")
    story_link = page.js("location.pathname + location.search")
    story_html = page.js("document.querySelector('section.story').outerHTML")
    api = page.js("document.getElementById('api').getAttribute('href')")
    check("its JSON link is its search of whole passages (%s)" % api,
          api.startswith("/search?q=path%3A%22") and api.endswith("&per-story=0&limit=100&snippet=whole"))
    page.screenshot(os.path.join(artefacts, "search-page-story.png"))
    # A story the index no longer holds, opened from the page (the script's
    # view: a loaded page is the server's until the script draws).
    page.js("var a = document.createElement('a'); a.href = '/?q=gannets&story=%2Fno%2Fsuch%2Fstory.txt';"
            " document.getElementById('results').appendChild(a); a.click(); 1")
    gone = page.until("document.querySelector('section.story .status') && !document.querySelector('#results[aria-busy]')"
                      " ? document.querySelector('section.story .status').textContent : null")
    check("a story no longer stored says so (%r)" % gone,
          gone == "No story is stored at /no/such/story.txt; it may have been removed from the index." and
          page.js("!!document.querySelector('section.story a[rel=up]')"))
    gone_html = page.js("document.querySelector('section.story').outerHTML")

    # Copies of a story.
    search(page, "quokka")
    n = page.js("document.querySelectorAll('.hit').length")
    summary = page.js("document.querySelector('.hit details.copies summary') &&"
                      " document.querySelector('.hit details.copies summary').textContent")
    copies = page.js("Array.from(document.querySelectorAll('.hit details.copies li')).map(l => l.textContent)") or []
    check("a story in two files is one hit (%s) with its copy (%s: %s)" % (n, summary, ", ".join(copies)),
          n == 1 and summary == "1 copy" and len(copies) == 1 and copies[0].endswith("/quokka-b.txt"))

    # Without JavaScript: the server renders the same results.
    page.call("Emulation.setScriptExecutionDisabled", value=True)
    page.load(url + "/?q=xyloquent")
    title = page.js("document.querySelector('.hit h2') && document.querySelector('.hit h2').textContent")
    check("without JavaScript the server's page shows the hits, escaped (%r)" % title, title and "<script>" in title)
    page.load(url + "/?q=ceasefire&offset=10")
    status = page.js("document.querySelector('.status').textContent")
    marks = page.js("document.querySelectorAll('.hit .snippet mark').length")
    check("and pages, with highlights (%s, %s marks)" % (status, marks), status.startswith("Stories 11") and marks > 0)
    story = page.js("document.querySelector('.hit a.story').getAttribute('href')")
    page.load(url + story)
    n = page.js("document.querySelectorAll('section.story .passage').length")
    status = page.js("document.querySelector('section.story .status').textContent")
    check("and opens a story view (%s: %s passages; %s)" % (story, n, status),
          n and status.startswith("%d passages in this story; " % n))
    page.load(url + story_link)
    check_harbour(page, "without JavaScript")
    got = page.js("document.querySelector('section.story').outerHTML")
    check("the server's story view is the script's, element for element", got == story_html,
          "\n  server: %s\n  script: %s" % (got, story_html))
    page.load(url + "/?q=gannets&story=%2Fno%2Fsuch%2Fstory.txt")
    got = page.js("document.querySelector('section.story').outerHTML")
    check("and so is its view of a story no longer stored", got == gone_html,
          "\n  server: %s\n  script: %s" % (got, gone_html))
    page.call("Emulation.setScriptExecutionDisabled", value=False)

    # On a phone.
    page.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    page.load(url + "/?q=ceasefire")
    page.until("document.querySelectorAll('.hit').length")
    width = page.js("document.documentElement.scrollWidth")
    check("on a 390-pixel phone nothing is wider than the screen (%s)" % width, width <= 390)
    page.screenshot(os.path.join(artefacts, "search-page-phone.png"))
    page.call("Emulation.clearDeviceMetricsOverride")


if __name__ == "__main__":
    main()

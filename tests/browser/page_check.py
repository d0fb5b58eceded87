#!/usr/bin/env python3
"""page_check.py - open a funnel report page (DIR/index.html) in headless
Chromium through chromedriver's WebDriver HTTP protocol and check it the way
a reader would: every image loaded (naturalWidth > 0), the stage table has
one row per stage, nothing runs as script, and the page fits a phone screen
without sideways scrolling.  Saves screenshots: PREFIX-top.png (the first
screen on a laptop), PREFIX-1280.png (the whole page 1280 px wide),
PREFIX-390.png (a 390 px phone).

Every chart visible: each NAME.png beside the page has an <img> that
loaded and is drawn on screen, and no other image is asked for.  Layout
(docs/CHARTS.md, "The page"): two chart columns at 1280 px, one at 390 px
and in print.  No network: Chromium runs with a dead proxy and every
resource the page loaded is a file: URL.  No script: the page has no
script element, event handler attribute or javascript: URL, and with
script execution disabled (DevTools Emulation.setScriptExecutionDisabled)
it still shows every table and image.  With --stuck-text TEXT, the
stuck-deals table (#stuck) shows TEXT as text and holds no element a
hostile id could have made.

Standard library only (urllib), so `make test` needs nothing but Debian's
python3, chromium and chromium-driver.  Prints one line per check,
"PASS name" or "FAIL name: why", like tests/cli/lib.sh.

With --isolated TEXT, every text node holding TEXT (a name with a
bidirectional control, U+202E) must sit inside a <bdi> element; with
--reads-ltr TEXT, the first letter of TEXT (fixed page text that follows
such a name in its paragraph) must be drawn left of its last letter, which
fails when the control leaks out of the name and reverses the paragraph.

usage: page_check.py PAGE --stages N --shots PREFIX [--expect-text TEXT]
                     [--no-charts] [--name NAME] [--isolated TEXT]
                     [--reads-ltr TEXT] [--stuck-text TEXT]...
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.sid = None

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read().decode() or "{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: HTTP %d %s" % (method, path, e.code, e.read()[:300]))

    def get(self, path):
        return self.call("GET", "/session/%s%s" % (self.sid, path))

    def js(self, script):
        return self.call("POST", "/session/%s/execute/sync" % self.sid,
                         {"script": script, "args": []})


def wait_ready(drv, deadline):
    while time.time() < deadline:
        try:
            v = drv.call("GET", "/status", timeout=2)
            if v and v.get("ready"):
                return True
        except Exception:
            pass
        time.sleep(0.2)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--stages", type=int, required=True)
    ap.add_argument("--shots", required=True, help="screenshot path prefix")
    ap.add_argument("--expect-text", default=None)
    ap.add_argument("--no-charts", action="store_true")
    ap.add_argument("--name", default="browser")
    ap.add_argument("--isolated", default=None)
    ap.add_argument("--reads-ltr", default=None)
    ap.add_argument("--stuck-text", action="append", default=[])
    a = ap.parse_args()
    name = a.name
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_bin = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    profile = tempfile.mkdtemp(prefix="funnel-chromium-")
    port = free_port()
    log = open(os.path.join(profile, "chromedriver.log"), "w")
    proc = subprocess.Popen([driver_bin, "--port=%d" % port], stdout=log, stderr=log)
    drv = Driver(port)
    ok = True

    def check(cond, what, why):
        nonlocal ok
        if cond:
            print("PASS %s_%s" % (name, what))
        else:
            ok = False
            print("FAIL %s_%s: %s" % (name, what, why))

    try:
        if not wait_ready(drv, time.time() + 30):
            print("FAIL %s_start: chromedriver did not answer within 30 s" % name)
            return 1
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + os.path.join(profile, "profile"),
                "--window-size=1280,900", "--hide-scrollbars",
                # No network: any http(s) fetch goes to a port nobody serves.
                "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}}}}
        drv.sid = drv.call("POST", "/session", caps, timeout=90)["sessionId"]
        url = "file://" + os.path.abspath(a.page)
        drv.call("POST", "/session/%s/url" % drv.sid, {"url": url}, timeout=60)
        # Images load asynchronously; give them a few seconds.
        info = None
        for _ in range(50):
            info = drv.js("""
                const imgs = Array.from(document.images).map(i => ({
                    src: i.getAttribute('src'), done: i.complete, w: i.naturalWidth, h: i.naturalHeight,
                    aw: +i.getAttribute('width'), ah: +i.getAttribute('height')}));
                return {ready: document.readyState, imgs: imgs,
                        rows: document.querySelectorAll('#stages tbody tr').length,
                        scripts: document.scripts.length,
                        missing: !!document.getElementById('charts-missing'),
                        table: (document.querySelector('#stages tbody') || {}).textContent || '',
                        title: document.title};""")
            if info["ready"] == "complete" and all(i["done"] for i in info["imgs"]):
                break
            time.sleep(0.1)
        if a.no_charts:
            check(len(info["imgs"]) == 0 and info["missing"], "says_charts_missing",
                  "%d images, missing note %s" % (len(info["imgs"]), info["missing"]))
        else:
            pngs = sorted(f for f in os.listdir(os.path.dirname(os.path.abspath(a.page))) if f.endswith(".png"))
            srcs = sorted(i["src"] for i in info["imgs"])
            check(len(srcs) >= 5 and srcs == pngs, "every_chart_shown", "images %s, files %s" % (srcs, pngs))
            shown = drv.js("""return Array.from(document.images).filter(i => {
                const r = i.getBoundingClientRect(), st = getComputedStyle(i);
                return !(r.width > 100 && r.height > 50 && st.visibility == 'visible' && st.display != 'none');
            }).map(i => i.getAttribute('src'));""")
            check(not shown, "every_chart_visible", "not drawn: %s" % shown)
            bad = [i for i in info["imgs"] if not i["w"]]
            check(not bad, "images_loaded", "not loaded: %s" % bad)
            cols = drv.js("""const f = Array.from(document.querySelectorAll('.charts figure'));
                return f.length < 2 ? 0 : new Set(f.map(x => Math.round(x.getBoundingClientRect().left))).size;""")
            check(cols == 2, "two_columns_wide", "%s chart columns at 1280 px" % cols)
            # 1200 wide, as high as the rows need (docs/CHARTS.md "Layout"),
            # and exactly the size the page reserves for it.
            odd = [i for i in info["imgs"] if i["w"] != 1200 or (i["w"], i["h"]) != (i["aw"], i["ah"])]
            check(not odd, "images_sized", "sizes %s" % odd)
        check(info["rows"] == a.stages, "row_per_stage",
              "%d rows for %d stages" % (info["rows"], a.stages))
        check(info["scripts"] == 0, "no_script", "%d script elements" % info["scripts"])
        res = drv.js("""return performance.getEntriesByType('resource').map(e => e.name)
                          .concat(Array.from(document.querySelectorAll('[href],[src]'))
                          .map(e => e.href || e.src));""")
        far = [u for u in res if not u.startswith("file:")]
        check(not far, "no_network", "asks the network for %s" % far[:3])
        handlers = drv.js("""return Array.from(document.querySelectorAll('*')).filter(e =>
                Array.from(e.attributes).some(x => /^on/i.test(x.name) || /^\\s*javascript:/i.test(x.value))
            ).map(e => e.outerHTML.slice(0, 80));""")
        check(not handlers, "no_handlers", "script in attributes: %s" % handlers[:3])
        for t in a.stuck_text:
            st = drv.js("""const t = document.querySelector('#stuck tbody');
                return t ? {text: t.textContent, odd: t.querySelectorAll('*:not(tr):not(td):not(bdi)').length} : null;""")
            check(st is not None and t in st["text"] and st["odd"] == 0, "stuck_escaped[%s]" % t.encode("unicode_escape").decode(),
                  "stuck table %s" % (st and {"odd": st["odd"], "text": st["text"][:200]}))
        if a.expect_text is not None:
            check(a.expect_text in info["table"], "escaped_text_shown",
                  "table text lacks %r" % a.expect_text)
        if a.isolated is not None:
            iso = drv.call("POST", "/session/%s/execute/sync" % drv.sid, {"script": """
                const want = arguments[0], w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                let found = 0, loose = [];
                for (let n = w.nextNode(); n; n = w.nextNode()) {
                    if (!n.data.includes(want)) continue;
                    found++;
                    if (!n.parentElement.closest('bdi')) loose.push(n.parentElement.outerHTML.slice(0, 120));
                }
                return {found: found, loose: loose};""", "args": [a.isolated]})
            check(iso["found"] > 0 and not iso["loose"], "bidi_isolated",
                  "%d texts hold the name, not in <bdi>: %s" % (iso["found"], iso["loose"]))
        if a.reads_ltr is not None:
            pos = drv.call("POST", "/session/%s/execute/sync" % drv.sid, {"script": """
                const want = arguments[0], w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                for (let n = w.nextNode(); n; n = w.nextNode()) {
                    const i = n.data.indexOf(want);
                    if (i < 0) continue;
                    const x = k => { const r = document.createRange(); r.setStart(n, k); r.setEnd(n, k + 1);
                                     return r.getBoundingClientRect().left; };
                    return [x(i), x(i + want.length - 1)];
                }
                return null;""", "args": [a.reads_ltr]})
            check(pos is not None and pos[0] < pos[1], "bidi_reads_ltr",
                  "%r: first and last letter at x = %s" % (a.reads_ltr, pos))
        cdp = lambda cmd, params: drv.call("POST", "/session/%s/goog/cdp/execute" % drv.sid,
                                           {"cmd": cmd, "params": params})
        if not a.no_charts:
            cdp("Emulation.setEmulatedMedia", {"media": "print"})
            cols = drv.js("""return new Set(Array.from(document.querySelectorAll('.charts figure'))
                .map(x => Math.round(x.getBoundingClientRect().left))).size;""")
            check(cols == 1, "one_column_print", "%s chart columns in print" % cols)
            cdp("Emulation.setEmulatedMedia", {"media": ""})
        # Laptop: what a reader sees first, then the whole page.
        with open(a.shots + "-top.png", "wb") as f:
            f.write(base64.b64decode(drv.get("/screenshot") or ""))
        height = drv.js("return document.documentElement.scrollHeight;")
        drv.call("POST", "/session/%s/window/rect" % drv.sid,
                 {"width": 1280, "height": min(int(height) + 140, 16000)})
        png = base64.b64decode(drv.get("/screenshot") or "")
        with open(a.shots + "-1280.png", "wb") as f:
            f.write(png)
        check(png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot", "%d bytes" % len(png))
        # Phone: 390 CSS px wide; nothing may need sideways scrolling.
        drv.call("POST", "/session/%s/window/rect" % drv.sid, {"width": 390, "height": 844})
        wide = drv.js("return [document.documentElement.scrollWidth, window.innerWidth];")
        check(wide[0] <= wide[1], "fits_phone", "page %d px wide in a %d px window" % tuple(wide))
        if not a.no_charts:
            cols = drv.js("""return new Set(Array.from(document.querySelectorAll('.charts figure'))
                .map(x => Math.round(x.getBoundingClientRect().left))).size;""")
            check(cols == 1, "one_column_phone", "%s chart columns at 390 px" % cols)
        with open(a.shots + "-390.png", "wb") as f:
            f.write(base64.b64decode(drv.get("/screenshot") or ""))
        # Without script: the same page with script execution off still
        # draws its tables and images (a screenshot is taken, then the
        # counts are read once script is back on).
        cdp("Emulation.setScriptExecutionDisabled", {"value": True})
        drv.call("POST", "/session/%s/refresh" % drv.sid, {}, timeout=60)
        time.sleep(1.0)
        with open(a.shots + "-noscript.png", "wb") as f:
            f.write(base64.b64decode(drv.get("/screenshot") or ""))
        cdp("Emulation.setScriptExecutionDisabled", {"value": False})
        again = drv.js("""return {rows: document.querySelectorAll('#stages tbody tr').length,
            imgs: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
            all: document.images.length};""")
        check(again["rows"] == a.stages and again["imgs"] == again["all"], "works_without_script",
              "after a reload without script: %s" % again)
    except Exception as e:  # a crash is one failure with its reason
        ok = False
        print("FAIL %s_run: %s" % (name, str(e).replace("\n", " ")[:400]))
    finally:
        try:
            if drv.sid:
                drv.call("DELETE", "/session/%s" % drv.sid, timeout=30)
        except Exception:
            pass
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

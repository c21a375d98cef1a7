#!/usr/bin/env python3
"""The dashboard and the reports as a person sees them, in a real browser (Chromium, DevTools protocol).

Usage: scripts/browser-check.py --binary .build/debug/censorscope --db STORE [--expect-device ADDRESS]
                                [--report REPORT.html ...] [--screenshots DIR]

Starts `censorscope serve --db STORE --listen 127.0.0.1:0`, loads the overview, clicks a verdict
bar (a filter), submits the filter form, clicks a target, checks the API and hostile requests,
loads each --report file, and stops the server (also on failure). Screenshots go to DIR.
Prints one line per check and closes with "N passed, N failed"; exits 1 when any failed.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or not detail else ": " + str(detail)[:400]), flush=True)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def start_server(binary, db):
    server = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if " at http://" not in line:
        server.kill()
        raise SystemExit("serve did not start: " + line + server.stderr.read())
    return server, line.split(" at ")[1].split(" ")[0]


def dashboard(b, base, expect_device, shots):
    elapsed = b.navigate(base)
    text = b.text()
    check("overview loads (%.2f s)" % elapsed, "Results by verdict" in text and "Devices" in text, text[:300])
    check("overview says whether the campaign is complete", "Complete:" in text or "Incomplete:" in text or "Running" in text)
    bars = b.evaluate("[...document.querySelectorAll('svg.chart g.bar')].map(g => g.dataset.verdict)")
    check("totals chart has a bar per verdict", len(bars) >= 2, bars)
    if expect_device:
        check("devices name the device at " + expect_device, ("Device 1: %s" % expect_device) in text, text[:600])
    if shots:
        b.screenshot(os.path.join(shots, "dashboard-overview.png"), full_page=True)

    # A filter, as a person clicks it: the bar of the most frequent blocking verdict.
    blocked = b.evaluate("[...document.querySelectorAll('svg.chart g.bar')].filter(g => g.querySelector('rect')"
                         ".getAttribute('fill') == '#c62828').map(g => g.dataset.verdict)")
    check("the chart draws the blocking verdicts in red", blocked, bars)
    verdict = blocked[0] if blocked else bars[0]
    expected = json.loads(fetch(base + "api/campaign")[1])["verdicts"][verdict]
    b.click('svg.chart g.bar[data-verdict="%s"] rect' % verdict)
    b.wait_event("Page.loadEventFired")
    heading = b.evaluate("document.querySelector('#results').textContent")
    check("clicking the %s bar filters the results" % verdict, heading.startswith("Results: %d of" % expected), heading)
    shown = b.evaluate("[...document.querySelectorAll('table.results tbody td:nth-child(3)')].map(td => td.textContent)")
    check("every row shown is %s" % verdict, shown and all(v == verdict for v in shown), shown[:5])
    if shots:
        b.screenshot(os.path.join(shots, "dashboard-filtered.png"))

    # The form: a port filter typed in and submitted.
    port = b.evaluate("document.querySelector('table.results tbody td:nth-child(2) a').textContent.split(':').pop()")
    b.evaluate("document.querySelector('input[name=port]').value = %s" % json.dumps(port))
    b.click("form.filters button")
    b.wait_event("Page.loadEventFired")
    rows = b.evaluate("[...document.querySelectorAll('table.results tbody td:nth-child(2)')].map(td => td.textContent)")
    check("the form filters by port %s" % port, rows and all(r.endswith(":" + port) for r in rows), rows[:5])
    check("the form keeps the verdict", b.evaluate("document.querySelector('select[name=verdict]').value") == verdict)

    # A target, clicked.
    target = b.evaluate("document.querySelector('table.results tbody td:nth-child(2) a').textContent")
    b.click("table.results tbody td:nth-child(2) a")
    b.wait_event("Page.loadEventFired")
    text = b.text()
    check("the target page names %s" % target, target in b.evaluate("document.querySelector('h1').textContent"))
    forged = b.evaluate("document.querySelectorAll('svg.path g.answer.forged').length")
    censor = b.evaluate("[...document.querySelectorAll('svg.path text.censor')].map(t => t.textContent)")
    check("its path diagram shows the forged answers in red, from the censor's hop", forged >= 1 and censor, (forged, censor))
    check("the target page has its facts and answers", "Verdict" in text and "Answers" in text, text[:300])
    if shots:
        b.screenshot(os.path.join(shots, "dashboard-target.png"), full_page=True)

    # The API and hostile requests.
    status, body = fetch(base + "api/results?verdict=" + verdict)
    check("GET /api/results?verdict= returns the records", status == 200 and len(json.loads(body)) == expected, status)
    status, body = fetch(base + "api/results?port=eighty")
    check("a bad filter is refused with a sentence", status == 400 and "port filter" in json.loads(body)["error"], body)
    for path in ["target/..%2F..%2Fetc%2Fpasswd", "target/99999999999999999999999", "target/-1", "nothing"]:
        status, _ = fetch(base + path)
        check("GET /%s is 404" % path, status == 404, status)
    req = urllib.request.Request(base, method="POST", data=b"x")
    try:
        status = urllib.request.urlopen(req, timeout=10).status
    except urllib.error.HTTPError as e:
        status = e.code
    check("POST is refused (read-only)", status in (404, 405), status)


def report(b, path, shots, index):
    elapsed = b.navigate("file://" + os.path.abspath(path))
    text = b.text()
    check("%s loads in the browser (%.2f s)" % (os.path.basename(path), elapsed), len(text) > 100)
    details = b.evaluate("document.querySelectorAll('details').length")
    if details:
        b.click("details summary")
        check("%s: a details summary opens on click" % os.path.basename(path),
              b.evaluate("document.querySelector('details').open"))
    if shots:
        b.screenshot(os.path.join(shots, "report-%d.png" % index), full_page=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--expect-device")
    parser.add_argument("--report", action="append", default=[])
    parser.add_argument("--screenshots")
    args = parser.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    server, base = start_server(args.binary, args.db)
    try:
        with cdp.Browser(width=1280, height=900) as b:
            dashboard(b, base, args.expect_device, args.screenshots)
            for i, path in enumerate(args.report):
                report(b, path, args.screenshots, i + 1)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    check("serve stops on SIGINT", server.returncode is not None)
    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The trace viewer in a real browser: pages written by `raftsim view` (and by `run --html`,
`replay --html` and the fuzzer) are opened in headless Chromium, and what each page says it drew
(the summary it leaves in <pre id="raftsim-summary">, read back with --dump-dom) is compared
with counts computed here, independently, from the trace's JSON Lines:

  - one lane per node; the leader of every term;
  - in a window of the run: the message arrows (delivered or still in flight), the drops by
    reason, the duplicate copies;
  - the violation marker and its invariant, and for a linearizability failure the culprit
    operations highlighted;
  - at the cursor (which a failing page puts on the violation): each node's term, commit
    index and log length;
  - the controls (the page's #selftest dispatches keys, wheel, drag, click and filter changes
    as DOM events and records what moved), and the time a picture takes at several zooms;
  - the load time of a page of a 10^6-event trace (navigation start to the first picture,
    measured by the page; median of 3 loads), which must stay under 3 s.

Screenshots land in OUT/ (docs/ holds the README's copies: `make screenshots`).
Usage: tests/browser/run_browser.py path/to/raftsim OUT_DIR
One line per check, then "N passed, M failed"; exit 1 if anything failed, 2 if Chromium is
missing.
"""
import html
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAD_LIMIT_MS = 3000
BIG_EVENTS = 1_000_000

passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok   " + msg, flush=True)


def bad(msg):
    global failed
    failed += 1
    print("FAIL " + msg, flush=True)


def check(cond, msg, detail=""):
    if cond:
        ok(msg)
    else:
        bad(msg + ((": " + detail) if detail else ""))


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROME = None
PROFILE = None


def chrome_args(extra):
    # root in CI needs --no-sandbox; a profile of our own keeps runs apart
    return [CHROME, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--user-data-dir=" + PROFILE,
            "--window-size=1400,1000"] + extra


def summary_of(page, frag=""):
    """Loads the page, returns the summary object it wrote after drawing."""
    url = "file://" + os.path.abspath(page) + frag
    out = subprocess.run(chrome_args(["--dump-dom", url]), capture_output=True, text=True,
                         timeout=180).stdout
    m = re.search(r'<pre id="raftsim-summary"[^>]*>(.*?)</pre>', out, re.S)
    if not m:
        raise RuntimeError("no summary in the page's DOM (did its script fail?)")
    return json.loads(html.unescape(m.group(1)))


def screenshot(page, png, frag="", size="1400,1000"):
    url = "file://" + os.path.abspath(page) + frag
    args = chrome_args(["--screenshot=" + png, url])
    args = [a if not a.startswith("--window-size=") else "--window-size=" + size for a in args]
    subprocess.run(args, capture_output=True, timeout=180)
    return os.path.exists(png) and os.path.getsize(png) > 1000


# ---- what the trace holds, computed here from the JSON Lines ---------------------------------

class Trace:
    def __init__(self, path):
        self.events = []
        with open(path) as f:
            lines = f.read().splitlines()
        self.header = json.loads(lines[0])
        self.end = json.loads(lines[-1]) if lines[-1].startswith('{"type":"end"') else None
        body = lines[1:-1] if self.end else lines[1:]
        self.events = [json.loads(l) for l in body]
        self.nodes = self.header["scenario"]["cluster"]["nodes"]
        self.end_us = max((e["t_us"] for e in self.events), default=0)
        self.violation = next((e for e in self.events if e["ev"] == "violation"), None)

    def leaders(self):
        return {str(e["term"]): e["node"] for e in self.events
                if e["ev"] == "role" and e["role"] == "leader"}

    def copies(self):
        """One record per message copy: send time, end time, fate, duplicate."""
        sends, out, seen = {}, [], set()
        for e in self.events:
            if e["ev"] == "send":
                sends[e["id"]] = e
            elif e["ev"] in ("deliver", "drop"):
                s = sends.get(e["id"])
                fate = "delivered" if e["ev"] == "deliver" else e.get("reason", "loss")
                out.append({"t0": s["t_us"] if s else e["t_us"], "t1": e["t_us"], "fate": fate,
                            "dup": e["id"] in seen and s is not None})
                seen.add(e["id"])
        for i, s in sends.items():
            if i not in seen:
                out.append({"t0": s["t_us"], "t1": self.end_us, "fate": "in flight", "dup": False})
        return out

    def in_view(self, v0, v1):
        arrows = dups = 0
        drops = {}
        for c in self.copies():
            if c["t0"] > v1 or c["t1"] < v0:
                continue
            if c["fate"] in ("delivered", "in flight"):
                arrows += 1
            else:
                drops[c["fate"]] = drops.get(c["fate"], 0) + 1
            dups += c["dup"]
        return arrows, dups, drops

    def state_at(self, t):
        st = {n: {"term": 0, "commit": 0, "log": 0} for n in range(1, self.nodes + 1)}
        for e in self.events:
            if e["t_us"] > t:
                break
            n = e.get("node")
            if e["ev"] == "append":
                st[n]["log"] = e["index"]
            elif e["ev"] == "truncate":
                st[n]["log"] = min(st[n]["log"], e["from"] - 1)
            elif e["ev"] == "commit":
                st[n]["commit"] = e["index"]
            elif e["ev"] == "role":
                st[n]["term"] = e["term"]
            elif e["ev"] == "crash":
                st[n]["commit"] = 0
            elif e["ev"] == "restore":
                st[n]["term"] = e["term"]
        return st

    def culprits(self):
        if not self.violation or self.violation["invariant"] != "linearizability":
            return set()
        return {"%s:%s" % m for m in re.findall(r"client (\d+) op (\d+):", self.violation["detail"])}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# ---- the checks, page by page ------------------------------------------------------------------

def check_page(name, page, trace, window=None):
    t = Trace(trace)
    s = summary_of(page, "#fit")
    check(s["lanes"] == t.nodes, "%s: %d lanes, one per node" % (name, t.nodes),
          "the page drew %s" % s["lanes"])
    check(s["leaders"] == t.leaders(), "%s: the leader of every term (%s)" % (name, t.leaders()),
          "the page drew %s" % s["leaders"])
    check(s["events"] == len(t.events), "%s: %d events read" % (name, len(t.events)),
          str(s["events"]))
    if window:
        v0, v1 = window
        s = summary_of(page, "#view=%d,%d" % (v0, v1))
        arrows, dups, drops = t.in_view(v0, v1)
        check(not s["aggregated"] and s["arrows"] == arrows,
              "%s: %d arrows between %d and %d us" % (name, arrows, v0, v1),
              "the page drew %s (aggregated: %s)" % (s["arrows"], s["aggregated"]))
        check(s["drops"] == drops, "%s: drops marked with their reasons %s" % (name, drops),
              "the page drew %s" % s["drops"])
        check(s["dup_arrows"] == dups, "%s: %d duplicate copies drawn as duplicates" % (name, dups),
              "the page drew %s" % s["dup_arrows"])
    return t


def check_failure(name, page, trace):
    t = Trace(trace)
    s = summary_of(page)
    inv = t.violation["invariant"]
    check(s["violation_marker"] and s["invariant"] == inv,
          "%s: opens at the violation, marked (%s)" % (name, inv),
          "marker %s, invariant %s" % (s["violation_marker"], s["invariant"]))
    check(s["cursor"] == t.violation["t_us"], "%s: the cursor on the violation (%d us)" %
          (name, t.violation["t_us"]), str(s["cursor"]))
    want = t.state_at(s["cursor"])
    got = {x["node"]: {"term": x["term"], "commit": x["commit"], "log": x["log"]} for x in s["state"]}
    check(got == want, "%s: each node's term, commit index and log length at the cursor" % name,
          "page %s, trace %s" % (got, want))
    culprits = t.culprits()
    if culprits:
        check(set(s["culprits_drawn"]) == culprits,
              "%s: the culprit operations highlighted (%s)" % (name, sorted(culprits)),
              "the page highlighted %s" % s["culprits_drawn"])
    return s


FRAME_LIMIT_MS = 250


def check_controls(name, page):
    """The page's #selftest: keys, wheel, drag, click and filters dispatched as DOM events."""
    s = summary_of(page, "#selftest")
    r = s.get("selftest", {})
    flags = {k: v for k, v in r.items() if isinstance(v, bool)}
    failed_flags = [k for k, v in flags.items() if not v]
    check(flags and not failed_flags, "%s: the controls work (%s)" % (name, ", ".join(sorted(flags))),
          "these did not: %s" % failed_flags)
    frames = r.get("frame_ms", [])
    check(frames and max(frames) < FRAME_LIMIT_MS,
          "%s: a picture takes %s ms at zooms 1, 1/10, 1/1000, 1/100000 of the run (limit %d ms)" %
          (name, frames, FRAME_LIMIT_MS))
    return frames


def big_trace(raftsim, work):
    """A 10^6-event trace: a long run of a 5-node cluster with client load, a crash and a
    partition (the scenario is written here, not kept in the repository)."""
    events = [{"at_ms": 1000, "expect": {"leader": "any"}}]
    for s in range(2, 950):
        events.append({"at_ms": s * 1000, "do": "submit", "node": "leader", "count": 20,
                       "optional": True})
    events += [{"at_ms": 200000, "do": "crash", "node": "leader"},
               {"at_ms": 203000, "do": "restart", "node": "crashed"},
               {"at_ms": 300000, "do": "partition", "groups": [["leader"]]},
               {"at_ms": 302000, "do": "heal"}]
    events.sort(key=lambda e: e["at_ms"])
    scn = {"name": "browser-big", "seed": 1, "cluster": {"nodes": 5},
           "network": {"delay_ms": [1, 10], "drop_rate": 0.01, "duplicate_rate": 0.01},
           "run_ms": 960000, "events": events}
    path = "big.json"  # relative: the page shows the trace's name as given
    with open(path, "w") as f:
        json.dump(scn, f)
    trace = "big.trace.jsonl"
    run([raftsim, "run", path, "--trace", trace, "--quiet"])
    return trace


def main():
    global CHROME, PROFILE
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-4], file=sys.stderr)
        return 2
    raftsim, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    CHROME = chromium()
    if not CHROME:
        print("run_browser: no chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="raftsim-browser.")
    PROFILE = os.path.join(work, "profile")
    try:
        os.chdir(work)
        os.symlink(os.path.join(ROOT, "scenarios"), "scenarios")
        # 1. a fuzz failure: the page the fuzzer writes next to the failing seed's trace
        run([raftsim, "fuzz", "--count", "20000", "--bug", "commit_old_term", "--stop-after", "1",
             "--jobs", "1", "--out", "fz", "--quiet"])
        # the failing seed (whichever the build finds first: draws change with features)
        traces = sorted(glob.glob("fz/seed-*.trace.jsonl"))
        check(len(traces) == 1, "the fuzzer stopped at one failing seed: %s" % traces)
        fz = traces[0][:-len(".trace.jsonl")] if traces else "fz/seed-0"
        name = "fuzz " + os.path.basename(fz).replace("-", " ")
        check(os.path.exists(fz + ".html"), "the fuzzer wrote %s.html next to its trace" % fz)
        t = check_page(name, fz + ".html", fz + ".trace.jsonl", window=(600000, 900000))
        check_failure(name, fz + ".html", fz + ".trace.jsonl")
        check_controls(name, fz + ".html")
        check(screenshot(fz + ".html", os.path.join(out, "view-fuzz-failure.png"), size="1400,1150"),
              "screenshot of the fuzz failure's page")
        # 2. a linearizability failure, written by run --html
        run([raftsim, "run", "scenarios/kv-stale-leader-reads.json", "--bug", "stale_read",
             "--trace", "kv.trace.jsonl", "--html", "kv.html"])
        check_page("kv-stale-leader-reads", "kv.html", "kv.trace.jsonl", window=(1550000, 1700000))
        check_failure("kv-stale-leader-reads", "kv.html", "kv.trace.jsonl")
        check(screenshot("kv.html", os.path.join(out, "view-linearizability.png"), size="1400,1150"),
              "screenshot of the linearizability failure's page")
        # 3. duplicates and losses, written by replay --html
        run([raftsim, "run", "scenarios/duplicate-heavy-network.json", "--trace", "dup.trace.jsonl"])
        run([raftsim, "replay", "dup.trace.jsonl", "--html", "dup.html"])
        check_page("duplicate-heavy-network", "dup.html", "dup.trace.jsonl", window=(5000000, 5300000))
        run([raftsim, "run", "scenarios/lossy-network.json", "--trace", "lossy.trace.jsonl"])
        run([raftsim, "view", "lossy.trace.jsonl", "-o", "lossy.html"])
        check_page("lossy-network", "lossy.html", "lossy.trace.jsonl", window=(1000000, 1400000))
        # 4. the same page twice: byte-identical
        run([raftsim, "view", "kv.trace.jsonl", "-o", "kv2.html"])
        with open("kv.html", "rb") as a, open("kv2.html", "rb") as b:
            check(a.read() == b.read(), "run --html and view write the same bytes for one trace")
        # 5. a 10^6-event trace: load time
        start = time.time()
        big = big_trace(raftsim, work)
        n = sum(1 for _ in open(big)) - 2
        size_mb = os.path.getsize(big) / 1e6
        run([raftsim, "view", big, "-o", "big.html"])
        gen_s = time.time() - start
        check(n >= BIG_EVENTS, "a trace of %d events (%.0f MB), and its page (%.1f MB) in %.1f s" %
              (n, size_mb, os.path.getsize("big.html") / 1e6, gen_s))
        loads = []
        for _ in range(3):
            s = summary_of("big.html")
            loads.append(s["load_ms"])
        med = statistics.median(loads)
        check(s["events"] == n and s["lanes"] == 5, "the big page read %d events" % n)
        check(med < LOAD_LIMIT_MS, "the %d-event page opens in %d ms (median of %s; limit %d ms)" %
              (n, med, loads, LOAD_LIMIT_MS))
        print("load times (ms, navigation start to first picture): %s; parse %s ms; stages %s" %
              (loads, s["parse_ms"], s.get("marks")))
        check_controls("the big page", "big.html")
        check(screenshot("big.html", os.path.join(out, "view-big.png")),
              "screenshot of the 10^6-event page")
    except (RuntimeError, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
        bad("browser test stopped: %s" % e)
    finally:
        os.chdir(ROOT)
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

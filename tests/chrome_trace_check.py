#!/usr/bin/env python3
"""Validates a Chrome trace-event file (`raftsim export --format chrome`) against the format's
rules, and against the raftsim trace it was made from.

The format (Trace Event Format, JSON object form):
  - {"traceEvents": [...]}: every event an object with a known "ph";
  - every event but metadata ("M") has a "name", integer "pid" and "tid", and a number "ts"
    >= 0 (microseconds); "args", when present, is an object;
  - complete events ("X") have a number "dur" >= 0, and on one thread they nest: a slice
    starts after the previous one at its depth ended, or lies wholly inside it;
  - begin/end ("B"/"E") pairs match per thread, with "ts" never decreasing on that thread;
  - instant events ("i"/"I") have a scope "s" in g, p, t (or none);
  - flow events ("s", "t", "f") have an "id", a "cat" and a "name"; per (cat, name, id) one
    "s", then any "t", then one "f", never earlier; "bp" only "e"; each binds to a slice
    that encloses its "ts" on its thread;
  - metadata names a process or thread ("process_name"/"thread_name": args.name a string;
    "*_sort_index": args.sort_index an integer), and every pid used has a process_name.
Against the raftsim trace: a process per node ("node N"), the leader of each term as role
slices, one flow per delivered message copy, one drop instant per dropped copy, no timestamp
past the trace's last event.
Usage: chrome_trace_check.py TRACE.jsonl EXPORT.json; prints "OK ..." or each problem (at most
20) and exits 1.
"""
import json
import re
import sys

PHASES = {"B", "E", "X", "i", "I", "s", "t", "f", "M", "C"}
META = {"process_name", "thread_name", "process_sort_index", "thread_sort_index", "process_labels"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_format(doc, problems):
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        problems.append("top level: expected an object with a traceEvents array")
        return []
    evs = doc["traceEvents"]
    for i, e in enumerate(evs):
        where = "traceEvents[%d]" % i
        if not isinstance(e, dict) or e.get("ph") not in PHASES:
            problems.append("%s: not an event with a known ph" % where)
            continue
        ph = e["ph"]
        if not is_int(e.get("pid")) or not is_int(e.get("tid")):
            problems.append("%s: pid and tid must be integers" % where)
        if "args" in e and not isinstance(e["args"], dict):
            problems.append("%s: args must be an object" % where)
        if ph == "M":
            if e.get("name") not in META:
                problems.append("%s: unknown metadata %r" % (where, e.get("name")))
            elif e["name"].endswith("_name") and not isinstance(e.get("args", {}).get("name"), str):
                problems.append("%s: %s needs args.name" % (where, e["name"]))
            elif e["name"].endswith("sort_index") and not is_int(e.get("args", {}).get("sort_index")):
                problems.append("%s: %s needs an integer args.sort_index" % (where, e["name"]))
            continue
        if ph != "E" and not isinstance(e.get("name"), str):
            problems.append("%s: %s needs a name" % (where, ph))
        if not is_num(e.get("ts")) or e["ts"] < 0:
            problems.append("%s: ts must be a number >= 0" % where)
        if ph == "X" and (not is_num(e.get("dur")) or e["dur"] < 0):
            problems.append("%s: X needs a dur >= 0" % where)
        if ph in ("i", "I") and e.get("s", "t") not in ("g", "p", "t"):
            problems.append("%s: instant scope must be g, p or t" % where)
        if ph in ("s", "t", "f"):
            if "id" not in e or not isinstance(e.get("cat"), str):
                problems.append("%s: flow events need id and cat" % where)
            if "bp" in e and (ph != "f" or e["bp"] != "e"):
                problems.append("%s: bp is only 'e', on f" % where)
    return [e for e in evs if isinstance(e, dict) and e.get("ph") in PHASES]


def check_structure(evs, problems):
    by_thread, be = {}, {}
    for e in evs:
        key = (e.get("pid"), e.get("tid"))
        if e["ph"] == "X":
            by_thread.setdefault(key, []).append((e["ts"], e["dur"]))
        elif e["ph"] in ("B", "E"):
            st = be.setdefault(key, {"stack": [], "last": 0})
            if e["ts"] < st["last"]:
                problems.append("thread %s: B/E timestamps go back (%s < %s)" % (key, e["ts"], st["last"]))
            st["last"] = e["ts"]
            if e["ph"] == "B":
                st["stack"].append(e)
            elif not st["stack"]:
                problems.append("thread %s: E without B at %s" % (key, e["ts"]))
            else:
                st["stack"].pop()
    for key, st in be.items():
        if st["stack"]:
            problems.append("thread %s: %d B without E" % (key, len(st["stack"])))
    for key, slices in by_thread.items():
        slices.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for ts, dur in slices:
            while stack and ts >= stack[-1][0] + stack[-1][1]:
                stack.pop()
            if stack and ts + dur > stack[-1][0] + stack[-1][1]:
                problems.append("thread %s: slice [%s, %s] overlaps [%s, %s] without nesting" %
                                (key, ts, ts + dur, stack[-1][0], stack[-1][0] + stack[-1][1]))
            stack.append((ts, dur))
    # flows
    flows = {}
    for e in evs:
        if e["ph"] in ("s", "t", "f"):
            flows.setdefault((e.get("cat"), e.get("name"), str(e.get("id"))), []).append(e)
    for key, fl in flows.items():
        phs = [e["ph"] for e in fl]
        if phs.count("s") != 1 or phs.count("f") != 1 or phs[0] != "s" or phs[-1] != "f":
            problems.append("flow %s: needs one s first and one f last, got %s" % (key, phs))
            continue
        if fl[-1]["ts"] < fl[0]["ts"]:
            problems.append("flow %s: f before s" % (key,))
        for e in fl:
            sl = by_thread.get((e["pid"], e["tid"]), [])
            if not any(ts <= e["ts"] <= ts + dur for ts, dur in sl):
                problems.append("flow %s: its %s at %s binds to no slice" % (key, e["ph"], e["ts"]))
    named = {e["pid"] for e in evs if e["ph"] == "M" and e["name"] == "process_name"}
    for pid in {e["pid"] for e in evs} - named:
        problems.append("pid %s: no process_name" % pid)
    return len(flows)


def check_against(trace_path, evs, n_flows, problems):
    with open(trace_path) as f:
        lines = f.read().splitlines()
    header = json.loads(lines[0])
    events = [json.loads(l) for l in lines[1:] if not l.startswith('{"type":"end"')]
    nodes = header["scenario"]["cluster"]["nodes"]
    names = {e["args"]["name"] for e in evs if e["ph"] == "M" and e["name"] == "process_name"}
    for n in range(1, nodes + 1):
        if "node %d" % n not in names:
            problems.append("no process for node %d" % n)
    want = {e["term"]: e["node"] for e in events if e["ev"] == "role" and e["role"] == "leader"}
    got = {}
    for e in evs:
        m = re.match(r"leader t(\d+)$", e.get("name", "")) if e["ph"] == "X" else None
        if m:
            got[int(m.group(1))] = e["pid"]
    if got != want:
        problems.append("leaders per term: export %s, trace %s" % (got, want))
    delivered = sum(1 for e in events if e["ev"] == "deliver")
    if n_flows != delivered:
        problems.append("flows: %d, delivered copies in the trace: %d" % (n_flows, delivered))
    drops = sum(1 for e in evs if e["ph"] == "i" and e.get("cat") == "drop")
    want_drops = sum(1 for e in events if e["ev"] == "drop")
    if drops != want_drops:
        problems.append("drop instants: %d, drops in the trace: %d" % (drops, want_drops))
    last = max((e["t_us"] for e in events), default=0)
    late = [e for e in evs if e["ph"] != "M" and e["ts"] + e.get("dur", 0) > last + 1]
    if late:
        problems.append("%d events end after the trace's last event (%d us)" % (len(late), last))
    return delivered, drops, len(want)


def main():
    if len(sys.argv) != 3:
        print("usage: chrome_trace_check.py TRACE.jsonl EXPORT.json", file=sys.stderr)
        return 2
    problems = []
    with open(sys.argv[2]) as f:
        try:
            doc = json.load(f)
        except ValueError as e:
            print("%s: not JSON: %s" % (sys.argv[2], e))
            return 1
    evs = check_format(doc, problems)
    n_flows = check_structure(evs, problems)
    delivered, drops, terms = check_against(sys.argv[1], evs, n_flows, problems)
    for p in problems[:20]:
        print("%s: %s" % (sys.argv[2], p))
    if problems:
        return 1
    print("OK %s: %d events, %d flows (one per delivered copy), %d drops, leaders of %d terms" %
          (sys.argv[2], len(evs), n_flows, drops, terms))
    return 0


if __name__ == "__main__":
    sys.exit(main())

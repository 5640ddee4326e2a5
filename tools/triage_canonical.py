#!/usr/bin/env python3
"""triage_canonical.py - sorts the failing traces of a canonical raft campaign by cause.

Usage: tools/triage_canonical.py FUZZ_OUT_DIR...   (the --out directories of raftsim fuzz)

For each seed-N.trace.jsonl it replays the trace's events in Python (no re-run), and names
the failure's cause when it recognises it:

  match-from-stale-suffix  a leader commits index I counting a follower whose last successful
                           AppendEntries reply in that term claimed index >= I, while the
                           follower's log through I is not the leader's (the reply's index is the
                           follower's whole log length, not prevLogIndex + entries: README,
                           "What raftsim found in canonical raft")
  unknown                  anything else: read the trace.

Prints one line per trace and a count per cause; exits 1 if any is unknown.
"""
import collections
import glob
import json
import os
import sys


def triage(path):
    logs = collections.defaultdict(dict)  # node -> index -> (term, cmd)
    acks = {}  # (follower, leader, term) -> highest index claimed (replies can arrive late)
    violation = None
    for line in open(path):
        ev = json.loads(line)
        kind = ev.get("ev")
        if kind == "append":
            logs[ev["node"]][ev["index"]] = (ev["term"], ev["cmd"])
        elif kind == "truncate":
            log = logs[ev["node"]]
            for i in [i for i in log if i >= ev["from"]]:
                del log[i]
        elif kind == "send" and ev.get("type") == "AppendEntriesReply" and ev.get("success"):
            key = (ev["from"], ev["to"], ev["term"])
            acks[key] = max(acks.get(key, 0), ev["index"])
        elif kind == "violation":
            violation = ev
            break
    if violation is None:
        return "no violation (liveness or crash: read the trace)"
    if violation["invariant"] != "committed_never_lost":
        return "unknown (%s)" % violation["invariant"]
    leader, index, term = violation["node"], violation["index"], violation["term"]
    mine = logs[leader]
    for (f, to, t), claimed in acks.items():
        if to != leader or t < term or claimed < index:
            continue
        if any(logs[f].get(i) != mine.get(i) for i in range(1, index + 1)):
            return "match-from-stale-suffix"
    return "unknown (committed_never_lost)"


def main(dirs):
    counts = collections.Counter()
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "seed-*.trace.jsonl"))):
            cause = triage(path)
            counts[cause.split(" ")[0]] += 1
            print("%s: %s" % (path, cause))
    for cause, n in counts.most_common():
        print("%6d %s" % (n, cause))
    return 1 if counts.get("unknown") or counts.get("no") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

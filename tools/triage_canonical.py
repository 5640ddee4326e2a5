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
  commit-old-term          a leader advanced its commit index to an entry of an earlier term
                           by counting replicas (Raft paper section 5.4.2, Figure 8): the
                           leader's entry at the committed index is older than its term
                           (0.15.0 lacks the check; upstream fixed it in 524f735, v0.17.1)
  unknown                  anything else: read the trace.
The stale-suffix cause is looked for first; an old-term commit is named when it covers the
violation's index and no stale suffix explains it.

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
    role = {}  # node -> (role, term)
    old_term_commit = 0  # highest index a leader committed while its entry there was older
    last_commit = None  # (leader, index, term) of the latest commit made by a leader
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
        elif kind == "role":
            role[ev["node"]] = (ev["role"], ev["term"])
        elif kind == "commit":
            r, t = role.get(ev["node"], ("follower", 0))
            entry = logs[ev["node"]].get(ev["index"])
            if r == "leader":
                last_commit = (ev["node"], ev["index"], t)
                if entry and entry[0] < t:
                    old_term_commit = max(old_term_commit, ev["index"])
        elif kind == "send" and ev.get("type") == "AppendEntriesReply" and ev.get("success"):
            key = (ev["from"], ev["to"], ev["term"])
            acks[key] = max(acks.get(key, 0), ev["index"])
        elif kind == "violation":
            violation = ev
            break
    if violation is None:
        return "no violation (liveness or crash: read the trace)"
    causes = []
    index = violation["index"]
    # The commit that broke it: the violation's own (committed_never_lost is judged at the
    # leader's commit), or the latest commit a leader made (a stale leader's commit shows as
    # a newer leader lacking the entry).
    if violation["invariant"] == "committed_never_lost":
        leader, term = violation["node"], violation["term"]
    elif last_commit:
        leader, index, term = last_commit
    else:
        leader = None
    if leader is not None:
        mine = logs[leader]
        for (f, to, t), claimed in acks.items():
            if to != leader or t < term or claimed < index:
                continue
            if any(logs[f].get(i) != mine.get(i) for i in range(1, index + 1)):
                causes.append("match-from-stale-suffix")
                break
    if not causes and 0 < index <= old_term_commit:
        causes.append("commit-old-term")
    return "+".join(causes) if causes else "unknown (%s)" % violation["invariant"]


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

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
  transferee-double-vote   a node votes a second time in a term for the target of a leadership
                           transfer it was asked for as leader and never aborted when it stepped
                           down (electionVote's transferee exemption; single_vote)
  follower-snapshot-livelock
                           a liveness failure where the stuck node took a snapshot newer than
                           the last one the leader sent it: it rejects every probe inside its
                           own snapshot and skips the leader's older snapshot
  lone-voter-reuses-term   a node that is the only voter leads the same term again after a
                           crash (0.15.0 self-elects a lone voter at start without a new term:
                           convertToCandidate goes straight to convertToLeader), and writes
                           other entries at the (index, term) places a crash made it lose
                           (log_matching across time)
  failed-append-counted-stored
                           a durable_ack violation on a node one of whose appends at or below
                           the acknowledged index failed (RAFT_IOERR) in the life that made the
                           acknowledgement: 0.15.0 keeps the failed entries in memory, never
                           writes them again, and counts the next successful write's entries
                           onto last_stored as if they followed it (updateLastStored)
                           (also as committed_never_lost: a node whose append failed led and
                           counted its own unwritten entries as stored when it committed them,
                           then crashed and restarted without them)
  failed-append-leader-truncates
                           a leader_append_only violation on a leader one of whose appends at
                           or below the truncated index failed: 0.15.0's appendLeaderCb drops
                           the failed entries from the leader's log and the leader goes on
                           leading, writing new entries at the same (index, term) places
  quorum-at-leader-last-stored
                           a liveness failure where the last leader's commit index stays put
                           while a majority (the leader's durable log and its followers'
                           successful replies in its term) holds a later entry of its term, but
                           no majority holds the leader's own last stored entry: 0.15.0's leader
                           counts a majority only at its own last_stored (replicationUpdate calls
                           replicationQuorum(r, r->last_stored); upstream counts at the replying
                           follower's index since 1996d32, v0.17.1). Followers whose appends
                           failed (finding 9) reply for ever with indices below their logs, so
                           the leader's last entry never has a majority and nothing commits
  failed-append-stuck      a liveness failure where the stuck node had an append fail in its
                           last life: the entries stay in its memory, unwritten, and its commit
                           index stays below them (last_stored does not pass them)
  lone-voter-after-removal a node left the only voter by a membership change (its latest config
                           entry lists it alone) leads without standing for election (no candidate
                           role in that term): the term it takes over is the removed leader's
                           (the same convertToCandidate shortcut, reached without a crash)
  removed-leader-holds-the-log
                           a liveness failure where a node that was a voter is not one of its own
                           latest configuration (removed by an entry it holds, never retired): it
                           refuses its vote to the others, whose logs are shorter, and never
                           stands itself (0.15.0 lets only voters of the latest configuration
                           stand; the thesis, 4.2.2, lets a node removed by an uncommitted entry)
  non-voter-keeps-its-leader
                           a liveness failure with no leader where a node that never was a voter
                           (a spare whose promotion never reached it) is not a voter of its own
                           latest configuration: 0.15.0 refuses a RequestVote while a follower
                           knows a leader, and a non-voter never forgets it
  stale-append-inside-snapshot
                           a worker that died (the trace stops) at the delivery of an
                           AppendEntries with entries, all or some inside the snapshot the
                           receiver installed since: 0.15.0 takes the compacted indices (logTermOf
                           0) for missing entries, appends them after its log, and its error path
                           truncates from below the log's start (removeSuffix: a segmentation
                           fault)
  membership-rollback-after-snapshot
                           a worker that died at the delivery of an AppendEntries that overwrites
                           an uncommitted configuration entry of a receiver that has compacted its
                           log: membershipRollback() decodes the committed configuration's entry,
                           which the snapshot removed (fixed upstream in baa8f52)
  liveness                 no violation: the settled phase found no leader or no progress
                           (listed apart, to read)
  unknown                  anything else: read the trace.
Both are judged at each commit a leader makes, with the logs and replies of that moment; the
violation is put down to the first that covers its index (stale suffix first).

Prints one line per trace and a count per cause; exits 1 if any is unknown.
"""
import collections
import re
import glob
import json
import os
import sys


def quorum_short_of_leader(role, logs, stored, committed, acks, n_voters):
    """Whether the last leader could commit past its commit index by Raft's rule (Figure 2: an
    index N of its term that a majority holds, counting its durable log and the highest index
    each follower's successful replies in its term claimed), while no majority holds the
    leader's own last stored index, the only one 0.15.0 tries."""
    leaders = [(t, n) for n, (r, t) in role.items() if r == "leader"]
    if not leaders or not n_voters:
        return False
    term, leader = max(leaders)
    last = stored.get(leader, 0)
    claims = [c for (f, to, t), c in acks.items() if to == leader and t == term and f != leader]

    def majority(index):
        return (last >= index) + sum(c >= index for c in claims) > n_voters // 2

    if majority(last):
        return False
    return any(majority(i) and logs[leader].get(i, (0,))[0] == term
               for i in range(committed.get(leader, 0) + 1, last + 1))


def died_at(last, sent, logs, committed, conf_at, installed):
    """The cause of a worker's death (a trace that stops), judged from the delivery it stopped at,
    with the receiver's log as it was."""
    unread = "no violation (a worker that died: read the trace)"
    if not last or last.get("ev") != "deliver" or last.get("type") != "AppendEntries":
        return unread
    if last["id"] not in sent:
        return unread
    node, prev, terms = sent[last["id"]]
    if terms and prev + 1 < installed.get(node, 0):
        return "stale-append-inside-snapshot"
    mine = logs[node]
    uncommitted = [c for c in conf_at[node] if c > committed.get(node, 0)]
    conflict = next((prev + 1 + j for j, t in enumerate(terms)
                     if prev + 1 + j in mine and mine[prev + 1 + j][0] != t), None)
    if uncommitted and conflict is not None and conflict <= max(uncommitted):
        return "membership-rollback-after-snapshot"
    return unread


def triage(path):
    """The cause of the trace's violation, judged at each commit a leader makes, with the logs
    and the replies as they are at that moment."""
    logs = collections.defaultdict(dict)  # node -> index -> (term, cmd)
    acks = {}  # (follower, leader, term) -> highest index claimed (replies can arrive late)
    role = {}  # node -> (role, term)
    led = collections.defaultdict(set)  # node -> terms it led in an earlier life
    life_led = collections.defaultdict(set)  # node -> terms it leads in this life
    reused = set()  # (node, term): led again in a later life
    stale_commit = 0  # highest index committed counting a follower's stale-suffix claim
    old_term_commit = 0  # highest index committed while the leader's entry there was older
    violation = None
    transfer_to = {}  # node -> target of the last transfer it accepted as leader
    snap_taken = collections.defaultdict(int)  # node -> index of its latest snapshot taken
    snap_sent = collections.defaultdict(int)  # node -> last_index of the last snapshot sent to it
    failed = {}  # node -> lowest first index of a failed append in its current life
    failed_before = {}  # node -> the same, for the life a crash ended
    stored = {}  # node -> its durable log's last index (persist events)
    committed = {}  # node -> its commit index
    n_voters = 0
    end = None
    voters = {}  # node -> voters of its latest configuration entry
    self_elected = set()  # (node, term): became leader without being candidate in that term
    left = set()  # nodes retired after their removal
    was_voter = set()  # nodes that were voters of a configuration of their own log
    self_counted = set()  # nodes that, as leader, committed past their durable log after a
    # failed append in this life
    self_counted_before = set()  # the same, for the life a crash ended
    sent = {}  # AppendEntries id -> (receiver, prev_index, the sender's terms of its entries)
    conf_at = collections.defaultdict(list)  # node -> indices of its log's configuration entries
    installed = {}  # node -> index of the snapshot it installed last (its log starts after it)
    last = None  # the last event (a trace that stops: where the worker died)
    stepped_down = {}  # node -> (its role before its last role event, that event's time)
    for line in open(path):
        ev = json.loads(line)
        kind = ev.get("ev")
        if kind:
            last = ev
        if ev.get("type") == "header":
            n_voters = ev.get("scenario", {}).get("cluster", {}).get("nodes", 0)
        if kind == "append":
            logs[ev["node"]][ev["index"]] = (ev["term"], ev["cmd"])
        elif kind == "truncate":
            log = logs[ev["node"]]
            for i in [i for i in log if i >= ev["from"]]:
                del log[i]
            conf_at[ev["node"]] = [i for i in conf_at[ev["node"]] if i < ev["from"]]
        elif kind == "snapshot" and ev.get("how") == "install":
            # the node's log becomes the snapshot's: the taker's entries through its index
            src = logs[ev.get("taken_by", ev["node"])]
            logs[ev["node"]] = {i: src[i] for i in range(1, ev["index"] + 1) if i in src}
            installed[ev["node"]] = ev["index"]
            conf_at[ev["node"]] = []
        elif kind == "config":
            voters[ev["node"]] = ev["voters"]
            conf_at[ev["node"]].append(ev["index"])
            if ev["node"] in ev["voters"]:
                was_voter.add(ev["node"])
        elif kind == "leave":
            left.add(ev["node"])
        elif kind == "role":
            if ev["role"] == "leader" and role.get(ev["node"]) != ("candidate", ev["term"]):
                self_elected.add((ev["node"], ev["term"]))
            stepped_down[ev["node"]] = (role.get(ev["node"]), ev["t_us"])
            role[ev["node"]] = (ev["role"], ev["term"])
            if ev["role"] == "leader":
                if ev["term"] in led[ev["node"]]:
                    reused.add((ev["node"], ev["term"]))
                life_led[ev["node"]].add(ev["term"])
        elif kind == "crash":
            led[ev["node"]] |= life_led.pop(ev["node"], set())
            failed_before[ev["node"]] = failed.pop(ev["node"], 0)
            if ev["node"] in self_counted:
                self_counted.remove(ev["node"])
                self_counted_before.add(ev["node"])
            else:
                self_counted_before.discard(ev["node"])
        elif kind == "disk_fail" and ev.get("what") == "append":
            n = ev["node"]
            failed[n] = min(failed.get(n) or ev["first"], ev["first"])
        elif kind == "persist":
            stored[ev["node"]] = ev["index"]
        elif kind == "transfer" and ev.get("accepted"):
            transfer_to[ev["from"]] = ev["to"]
        elif kind == "snapshot" and ev.get("how") == "take":
            snap_taken[ev["node"]] = max(snap_taken[ev["node"]], ev["index"])
        elif kind == "send" and ev.get("type") == "AppendEntries":
            src = logs[ev["from"]]
            first = ev["prev_index"] + 1
            sent[ev["id"]] = (ev["to"], ev["prev_index"],
                              [src.get(i, (0,))[0] for i in range(first, first + ev["entries"])])
        elif kind == "send" and ev.get("type") == "InstallSnapshot":
            snap_sent[ev["to"]] = ev["last_index"]
        elif kind == "send" and ev.get("type") == "AppendEntriesReply" and ev.get("success"):
            key = (ev["from"], ev["to"], ev["term"])
            acks[key] = max(acks.get(key, 0), ev["index"])
        elif kind == "commit":
            committed[ev["node"]] = max(committed.get(ev["node"], 0), ev["index"])
            leader, index = ev["node"], ev["index"]
            r, term = role.get(leader, ("follower", 0))
            before, when = stepped_down.get(leader, (None, -1))
            if r != "leader" and when == ev["t_us"] and before and before[0] == "leader":
                # a leader whose commit retired it (its own removal) steps down in the same
                # call, and the adapter reports the role first
                r, term = before
            if r != "leader":
                continue
            if failed.get(leader) and index > stored.get(leader, 0):
                self_counted.add(leader)
            mine = logs[leader]
            entry = mine.get(index)
            if entry and entry[0] < term:
                old_term_commit = max(old_term_commit, index)
            for (f, to, t), claimed in acks.items():
                if to == leader and t == term and claimed >= index and any(
                        logs[f].get(i) != mine.get(i) for i in range(1, index + 1)):
                    stale_commit = max(stale_commit, index)
                    break
        elif kind == "violation":
            violation = ev
            break
        elif ev.get("type") == "end":
            end = ev
    if violation is None:
        if end and end.get("result") == "expect_failed":
            stuck = re.search(r'node (\d+) has not applied it', end.get("reason", ""))
            if stuck:
                n = int(stuck.group(1))
                if snap_sent[n] and snap_taken[n] > snap_sent[n]:
                    return "follower-snapshot-livelock"
            if quorum_short_of_leader(role, logs, stored, committed, acks, n_voters):
                return "quorum-at-leader-last-stored"
            if stuck and failed.get(n):
                return "failed-append-stuck"
            if any(n in was_voter and n not in v and n not in left for n, v in voters.items()):
                return "removed-leader-holds-the-log"
            if "no live node is leader" in end.get("reason", "") and any(
                    n not in was_voter and n not in v for n, v in voters.items()):
                return "non-voter-keeps-its-leader"
            return "liveness (the settled phase: read the trace)"
        return died_at(last, sent, logs, committed, conf_at, installed)
    if (violation["invariant"] == "single_vote" and
            transfer_to.get(violation["node"]) == violation.get("other")):
        return "transferee-double-vote"
    index = violation["index"]
    if violation["invariant"] == "leader_append_only" and 0 < failed.get(violation["node"], 0) <= index:
        return "failed-append-leader-truncates"
    if violation["invariant"] == "durable_ack" and 0 < failed_before.get(violation["node"], 0) <= index:
        return "failed-append-counted-stored"
    if (violation["invariant"] == "committed_never_lost" and violation["node"] in self_counted_before
            and 0 < failed_before.get(violation["node"], 0) <= index):
        return "failed-append-counted-stored"
    if violation["invariant"] == "log_matching" and (violation["node"], violation["term"]) in reused:
        return "lone-voter-reuses-term"
    if ((violation["node"], violation["term"]) in self_elected and
            voters.get(violation["node"]) == [violation["node"]]):
        return "lone-voter-after-removal"
    if 0 < index <= stale_commit:
        return "match-from-stale-suffix"
    if 0 < index <= old_term_commit:
        return "commit-old-term"
    return "unknown (%s)" % violation["invariant"]


def main(dirs):
    counts = collections.Counter()
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "seed-*.trace.jsonl"))):
            cause = triage(path)
            counts[cause.split(" ")[0]] += 1
            print("%s: %s" % (path, cause))
    for cause, n in counts.most_common():
        print("%6d %s" % (n, cause))
    return 1 if counts.get("unknown") or counts.get("no") or counts.get("liveness") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

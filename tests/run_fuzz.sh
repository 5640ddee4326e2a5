#!/bin/sh
# The fuzz -> replay -> check -> shrink workflow, end to end, on small seed ranges; the
# injected bugs' regression scenarios; and the campaign's handling of crashing and hanging
# workers, of shards and of Ctrl-C. Usage: tests/run_fuzz.sh path/to/raftsim
set -u
. "$(dirname "$0")/lib.sh"
need_bin "$@"
in_scratch run_fuzz
expect_rc() { # expect_rc NAME RC COMMAND...
    name=$1; want=$2; shift 2
    "$@" >out.txt 2>&1; rc=$?
    if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name (exit $rc, wanted $want)"; sed 's/^/     /' out.txt | head -5; fi
}

# A clean campaign: no bug, no failure.
expect_rc "fuzz 400 seeds, no bug, all pass" 0 "$BIN" fuzz --count 400 --jobs 2 --out clean
grep -q "^400 passed, 0 failed" out.txt && ok "fuzz summary counts 400 seeds" || bad "fuzz summary counts 400 seeds"

# Shards split a range without overlap or loss.
"$BIN" fuzz --seeds 1..101 --shard 0/2 --jobs 1 --out s0 > s0.txt 2>&1
"$BIN" fuzz --seeds 1..101 --shard 1/2 --jobs 1 --out s1 > s1.txt 2>&1
a=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' s0.txt); b=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' s1.txt)
[ "$a" = 51 ] && [ "$b" = 50 ] && ok "shards 0/2 and 1/2 of 1..101 run 51 + 50 seeds" || bad "shards ($a + $b)"

# Every injected bug is found, and its failure replays, re-checks and shrinks.
for bug in $("$BIN" fuzz --bug list | awk '{print $1}'); do
    # no_stepdown is mostly caught by the liveness phase (bug table: 4 of 5 bases), so it takes
    # more failures before an invariant violation is among them (7 liveness, 3 election_safety
    # in its first 10)
    stop=3
    [ "$bug" = no_stepdown ] && stop=20
    expect_rc "fuzz finds $bug" 1 "$BIN" fuzz --count 20000 --bug "$bug" --stop-after $stop --out "f-$bug"
    # the first seed that broke an invariant and was shrunk (a bug may also cost liveness on
    # other seeds, and a seed a worker was still running at the stop has no min.json; three
    # failures reported make one such seed all but certain)
    trace= min=
    for t in $(grep -l '"result":"violation"' "f-$bug"/seed-*.trace.jsonl 2>/dev/null); do
        if [ -f "${t%.trace.jsonl}.min.json" ]; then
            trace=$t min=${t%.trace.jsonl}.min.json
            break
        fi
    done
    if [ -z "$trace" ] || [ -z "$min" ]; then bad "$bug: trace and min.json written"; continue; fi
    ok "$bug: trace and min.json written"
    inv=$(sed -n 's/.*"violation":{"invariant":"\([a-z_]*\)".*/\1/p' "$trace")
    expect_rc "$bug: replay is identical and re-reports the violation" 1 "$BIN" replay "$trace"
    grep -q "^IDENTICAL" out.txt && grep -q "VIOLATION $inv reproduced" out.txt \
        && ok "$bug: replay output names $inv" || bad "$bug: replay output names $inv"
    expect_rc "$bug: check finds $inv from the trace alone" 1 "$BIN" check "$trace"
    grep -q "VIOLATION $inv" out.txt && ok "$bug: check names $inv" || bad "$bug: check names $inv"
    expect_rc "$bug: shrink writes a smaller scenario" 0 "$BIN" shrink "$trace" -o "again-$bug.json"
    expect_rc "$bug: min.json fails with the bug" 1 "$BIN" run "$min" --bug "$bug"
    grep -q "invariant $inv violated" out.txt && ok "$bug: min.json keeps invariant $inv" \
        || bad "$bug: min.json keeps invariant $inv"
    expect_rc "$bug: shrink output fails with the bug" 1 "$BIN" run "again-$bug.json" --bug "$bug"
done

# Replay finds the first divergence: edit event seq 9 of a trace and replay it.
"$BIN" run "$ROOT/scenarios/leader-crash-reelection.json" --trace good.jsonl > /dev/null 2>&1
awk 'NR == 11 { sub(/"t_us":[0-9]*/, "\"t_us\":1") } { print }' good.jsonl > edited.jsonl
expect_rc "replay of an edited trace diverges" 1 "$BIN" replay edited.jsonl
grep -q "^DIVERGED at seq 9" out.txt && grep -q "expected: .*\"seq\":9,\"t_us\":1," out.txt \
    && ok "replay names seq 9 and shows both events" || bad "replay names the divergence"
expect_rc "replay of the untouched trace is identical" 0 "$BIN" replay good.jsonl
grep -q "^IDENTICAL" out.txt && ok "replay says IDENTICAL" || bad "replay says IDENTICAL"
expect_rc "replay --trace writes the new run" 0 "$BIN" replay good.jsonl --trace again.jsonl
cmp -s good.jsonl again.jsonl && ok "the re-run trace is byte-identical" || bad "re-run trace identical"

# Regression scenarios kept in tests/regress: fail with their bug, pass without.
while IFS='	' read -r file bug inv; do
    expect_rc "regress $file fails with --bug $bug" 1 "$BIN" run "$ROOT/tests/regress/$file" --bug "$bug"
    grep -q "invariant $inv violated" out.txt && ok "regress $file: $inv" || bad "regress $file: $inv"
    expect_rc "regress $file passes without the bug" 0 "$BIN" run "$ROOT/tests/regress/$file"
    grep -q '^1 passed, 0 failed$' out.txt || bad "regress $file: no PASS without the bug"
done < "$ROOT/tests/regress/EXPECTED"

# canonical raft's own failures, kept as shrunk scenarios (README, "What raftsim found in
# canonical raft"): each fails today with its recorded invariant, and the failure is in the
# trace (check finds it without re-running) and replays identically.
# A line whose second field is "expect:TEXT" is a liveness failure instead: the run fails that
# expectation (TEXT in its FAIL line), and the trace holds no safety violation.
while IFS='	' read -r file inv; do
    case "$inv" in
    expect:*)
        text=${inv#expect:}
        expect_rc "canonical regress $file fails" 1 "$BIN" run \
            "$ROOT/tests/regress/canonical/$file" --trace "canon-$file.jsonl"
        grep -qF -- "$text" out.txt && ok "canonical regress $file: $text" \
            || bad "canonical regress $file: $text"
        expect_rc "canonical regress $file: check finds no safety violation" 0 "$BIN" check \
            "canon-$file.jsonl"
        expect_rc "canonical regress $file: replay" 1 "$BIN" replay "canon-$file.jsonl"
        grep -q "^IDENTICAL" out.txt && ok "canonical regress $file: replays identically" \
            || bad "canonical regress $file: replays identically"
        continue
        ;;
    esac
    expect_rc "canonical regress $file fails" 1 "$BIN" run "$ROOT/tests/regress/canonical/$file" \
        --trace "canon-$file.jsonl"
    grep -q "invariant $inv violated" out.txt && ok "canonical regress $file: $inv" \
        || bad "canonical regress $file: $inv"
    expect_rc "canonical regress $file: check finds it in the trace" 1 "$BIN" check "canon-$file.jsonl"
    grep -q "^VIOLATION $inv" out.txt && ok "canonical regress $file: check names $inv" \
        || bad "canonical regress $file: check names $inv"
    expect_rc "canonical regress $file: replay" 1 "$BIN" replay "canon-$file.jsonl"
    grep -q "^IDENTICAL" out.txt && ok "canonical regress $file: replays identically" \
        || bad "canonical regress $file: replays identically"
done < "$ROOT/tests/regress/canonical/EXPECTED"
# The campaign's triage names each regression's cause from its trace alone.
if command -v python3 > /dev/null 2>&1; then
    mkdir -p triage
    # Each regression's trace, as seed N of a campaign, and the cause triage must give it.
    n=0
    while read -r file cause; do
        n=$((n + 1))
        cp "canon-$file.jsonl" "triage/seed-$n.trace.jsonl"
        printf 'seed-%s.trace.jsonl: %s\n' "$n" "$cause" >>triage-want.txt
    done <<'TABLE'
match-from-stale-suffix.json match-from-stale-suffix
commit-old-term-figure8.json commit-old-term
transferee-double-vote.json transferee-double-vote
follower-snapshot-livelock.json follower-snapshot-livelock
lone-voter-reuses-term.json lone-voter-reuses-term
failed-append-leader-truncates.json failed-append-leader-truncates
failed-append-counted-stored.json failed-append-counted-stored
quorum-at-leader-last-stored.json quorum-at-leader-last-stored
lone-voter-after-removal.json lone-voter-after-removal
removed-leader-holds-the-log.json removed-leader-holds-the-log
non-voter-keeps-its-leader.json non-voter-keeps-its-leader
failed-append-leader-counts-itself.json failed-append-counted-stored
TABLE
    python3 "$ROOT/tools/triage_canonical.py" triage > out.txt 2>&1
    missing=0
    while read -r line; do
        grep -qxF "triage/$line" out.txt || { missing=1; echo "  triage lacks: $line"; }
    done <triage-want.txt
    [ "$missing" -eq 0 ] && ok "triage names the library's failures ($n regressions)" ||
        { bad "triage names the library's failures"; show out.txt; }
else
    ok "triage not checked: no python3"
fi

# canonical raft's crashes (README findings 12 and 15) are kept apart from the must-fail list,
# which runs in-process: each still kills the run with a signal (or, built with ASan, is reported).
for f in "$ROOT"/tests/regress/canonical/crashes/*.json; do
    name=$(basename "$f")
    "$BIN" run --quiet "$f" > out.txt 2>&1
    rc=$?
    if [ "$rc" -gt 128 ] || grep -q "AddressSanitizer" out.txt; then
        ok "canonical crash $name still crashes the library"
    else
        bad "canonical crash $name still crashes the library (exit $rc)"
        show out.txt
    fi
done

# A campaign on canonical raft runs the library in every worker; its failures (the library's
# own, above) are saved with a trace and a shrunk scenario that names the implementation.
expect_rc "fuzz --impl canonical finds the library's match-index failure" 1 "$BIN" fuzz \
    --impl canonical --seeds 130..140 --jobs 2 --out canon
grep -q "^FAIL seed 135: committed_never_lost" out.txt && [ -f canon/seed-135.min.json ] \
    && grep -q '"implementation":.*"canonical"' canon/seed-135.min.json \
    && ok "canonical failure saved, its shrunk scenario names the implementation" \
    || bad "canonical failure saved with its implementation"

# --stats: what the seeds exercised; the cluster sizes add up to the seeds run, and the
# built-in node's snapshots (drawn for about half of the seeds) are counted.
expect_rc "fuzz --stats" 0 "$BIN" fuzz --count 60 --jobs 2 --stats --out stats --quiet
sizes=$(sed -n 's/^cluster sizes: //p' out.txt | tr ';' '\n' | awk '{n += $3} END {print n + 0}')
grep -q "^what the 60 seeds exercised" out.txt && [ "$sizes" = 60 ] &&
    grep -q "^snapshots: on for [1-9][0-9]* seeds;  taken [1-9]" out.txt &&
    grep -q "InstallSnapshot [0-9]* ([0-9]* seeds)" out.txt && grep -q "^faults: .*crash [1-9]" out.txt &&
    ok "fuzz --stats counts the seeds' sizes ($sizes), faults and message types" ||
    { bad "fuzz --stats"; show out.txt 12; }

# The default profile swarms over the configuration: every cluster size from 1 to 7, election
# timeouts barely above the heartbeat, delays beyond it; the settled phase checks liveness only
# where the timings let Raft promise it, so some seeds check it and some do not. --nodes fixes
# the size.
expect_rc "fuzz --stats, 300 seeds" 0 "$BIN" fuzz --count 300 --jobs 2 --stats --out swarm --quiet
each=$(sed -n 's/^cluster sizes: //p' out.txt | tr ';' '\n' |
    awk '$1 >= 1 && $1 <= 7 && $3 > 0 {n++} END {print n + 0}')
live=$(sed -n 's/.*liveness checked \([0-9]*\) seeds.*/\1/p' out.txt)
grep -q "^timings: election timeout under 1.25 heartbeats [1-9][0-9]* seeds, delays beyond a heartbeat [1-9][0-9]* seeds, clock drift [1-9]" out.txt &&
    [ "$each" = 7 ] && [ "${live:-0}" -gt 0 ] && [ "${live:-0}" -lt 300 ] &&
    ok "the default profile draws every size 1..7 and extreme timings; liveness checked on $live of 300" ||
    { bad "the default profile's swarm over the configuration"; show out.txt 12; }
expect_rc "fuzz --nodes 4 --stats" 0 "$BIN" fuzz --count 50 --nodes 4 --jobs 2 --stats --out swarm4 --quiet
grep -q "^cluster sizes: .* 4 nodes 50;" out.txt && ok "--nodes 4 fixes the size" ||
    { bad "--nodes 4 fixes the size"; show out.txt 4; }

# A worker that crashes or hangs costs its seed only; the campaign goes on.
expect_rc "crashing and hanging workers are failures of their seeds" 1 "$BIN" fuzz --count 120 \
    --jobs 2 --test-crash-seed 30 --test-hang-seed 60 --seed-timeout-s 1 --out hurt
grep -q "^FAIL seed 30: crash" out.txt && grep -q "^FAIL seed 60: hang" out.txt \
    && grep -q "^118 passed, 2 failed" out.txt && [ -f hurt/seed-30.json ] \
    && ok "crash and hang reported, the other 118 seeds ran" || bad "crash and hang accounting"
# The crashed seed keeps its trace up to the crash: whole lines, no end line.
lines=$(wc -l < hurt/seed-30.trace.jsonl 2>/dev/null || echo 0)
[ "$lines" -gt 1000 ] && ! grep -q '"type":"end"' hurt/seed-30.trace.jsonl \
    && ok "the crashed seed's trace holds its $lines lines up to the crash" \
    || bad "the crashed seed's trace up to the crash ($lines lines)"
expect_rc "check reads a trace cut off by a crash" 0 "$BIN" check hurt/seed-30.trace.jsonl
grep -q "the run was cut off" out.txt && ok "check says the run was cut off" || bad "check says cut off"

# Ctrl-C: a clean stop with a summary, and no half-written file left behind.
"$BIN" fuzz --count 100000000 --jobs 2 --bug truncate_on_match --out intr > intr.txt 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid; rc=$?
[ "$rc" = 130 ] && grep -q "interrupted" intr.txt && ok "Ctrl-C stops with a summary (exit 130)" \
    || bad "Ctrl-C (exit $rc)"
[ -z "$(ls intr | grep '\.tmp$')" ] && ok "no temporary files left after Ctrl-C" || bad "tmp files left"

finish

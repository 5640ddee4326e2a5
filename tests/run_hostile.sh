#!/bin/sh
# Hostile input, end to end. Usage: tests/run_hostile.sh path/to/raftsim
#   (a) inputs too big to commit, generated here into a temporary directory:
#       - exactly 10^6 events (RS_EVENTS_MAX): ACCEPTED; `raftsim run` must pass within
#         HOSTILE_TIME_LIMIT seconds (default 300, room for ASan builds);
#       - 10^6 + 1 events, an initial log of 10^6 + 1 entries, a 1 MB command, 100000 nested
#         arrays: REFUSED with exit 2 and a message naming the field;
#       - a trace of 10^6 event lines (no end line): `raftsim check` accepts it (exit 0) in time;
#       - a directory and a missing file given as the scenario or the trace: exit 2.
#   (b) every trace in tests/bad-traces/ gives the exit code and text that tests/bad-traces/EXPECTED
#       names for it under `raftsim check` (lines FILE<TAB>EXIT<TAB>text; # comments);
#   (c) `replay` and `shrink` on those traces end with exit 0..2, never a crash; those that
#       `check` refuses as unreadable (exit 2, not a checker verdict) they refuse with exit 2 too.
# The hostile scenario files in tests/bad/ are run by tests/run_scenarios.sh (f).
# One line per check, then "N passed, M failed"; exits 1 if anything failed.
set -u

. "$(dirname "$0")/lib.sh"
need_bin "$@"
in_scratch run_hostile
LIMIT=${HOSTILE_TIME_LIMIT:-300}

# run_limited OUT COMMAND...: runs with the time limit (when timeout(1) exists), stdout and
# stderr into OUT; sets rc and secs. A run killed by the limit gives rc 124.
run_limited() {
    out=$1
    shift
    start=$(date +%s)
    rc=0
    if command -v timeout >/dev/null 2>&1; then
        timeout "$LIMIT" "$@" >"$out" 2>&1 </dev/null || rc=$?
    else
        "$@" >"$out" 2>&1 </dev/null || rc=$?
    fi
    secs=$(($(date +%s) - start))
}

# refused NAME FILE TEXT [SUBCOMMAND]: exit 2, TEXT in the output, within the limit.
refused() {
    run_limited out.txt "$BIN" "${4:-run}" "$2"
    if [ "$rc" -eq 2 ] && grep -qF -- "$3" out.txt; then
        ok "$1 is refused in ${secs} s: $3"
    else
        bad "$1 is refused (exit $rc after ${secs} s, wanted 2 and '$3')"
        show out.txt
    fi
}

# ---- (a) generated inputs --------------------------------------------------------------------

# N events "heal" spread over run_ms; awk keeps it fast and POSIX.
gen_events() {
    awk -v n="$1" 'BEGIN {
        printf "{\"name\": \"hostile-many-events\", \"run_ms\": 10000, \"events\": [";
        for (i = 0; i < n; i++)
            printf "%s{\"at_ms\": %d, \"do\": \"heal\"}", (i ? "," : ""), i / 100;
        print "]}" }' >"$2"
}

gen_events 1000000 events-1e6.json
run_limited out.txt "$BIN" run --quiet events-1e6.json
if [ "$rc" -eq 0 ] && grep -q '^1 passed, 0 failed$' out.txt; then
    ok "10^6 events (the limit) are accepted and run in ${secs} s"
else
    bad "10^6 events (the limit) are accepted (exit $rc after ${secs} s, limit ${LIMIT} s)"
    show out.txt
fi

gen_events 1000001 events-1e6-plus-1.json
refused "10^6 + 1 events" events-1e6-plus-1.json \
    "events-1e6-plus-1.json: events: expected at most 1000000 events, got 1000001"

awk 'BEGIN { printf "{\"initial\": [{\"node\": 1, \"term\": 1, \"log\": [";
    for (i = 0; i <= 1000000; i++) printf "%s1", (i ? "," : "");
    print "]}], \"events\": []}" }' >log-1e6-plus-1.json
refused "an initial log of 10^6 + 1 entries" log-1e6-plus-1.json \
    "log-1e6-plus-1.json: initial[0].log: expected at most 1000000 entries, got 1000001"

awk 'BEGIN { printf "{\"events\": [{\"at_ms\": 1, \"do\": \"submit\", \"node\": 1, \"command\": \"";
    for (i = 0; i < 1000000; i++) printf "x";
    print "\"}]}" }' >command-1mb.json
refused "a 1 MB command" command-1mb.json \
    "command-1mb.json: events[0].command: expected a string of 1..256 bytes, got 1000000"

awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]";
    print "" }' >nested-1e5.json
refused "100000 nested arrays" nested-1e5.json "nested deeper than 1000 levels"

refused "a directory as the scenario" "$WORK" "cannot read: Is a directory"
refused "a missing scenario file" "$WORK/no-such.json" "cannot read: No such file or directory"
refused "a directory as the trace" "$WORK" "cannot read: Is a directory" check
refused "a missing trace file" "$WORK/no-such.jsonl" "cannot read: No such file or directory" check

# A real header, then 10^6 event lines the checker reads but judges nothing by (sends).
"$BIN" run "$ROOT/tests/fuzz/corpus/scenario/small-minimal.json" --trace small.jsonl >/dev/null 2>&1
head -n 1 small.jsonl >trace-1e6.jsonl
awk 'BEGIN { for (i = 0; i < 1000000; i++)
    printf "{\"seq\":%d,\"t_us\":%d,\"ev\":\"send\",\"from\":1,\"to\":2,%s\"id\":%d}\n",
        i, i, "\"type\":\"AppendEntries\",", i + 1 }' >>trace-1e6.jsonl
run_limited out.txt "$BIN" check trace-1e6.jsonl
if [ "$rc" -eq 0 ] && grep -q "1000000 events" out.txt; then
    ok "a trace of 10^6 event lines is checked in ${secs} s"
else
    bad "a trace of 10^6 event lines is checked (exit $rc after ${secs} s)"
    show out.txt
fi

# ---- (b), (c) tests/bad-traces ---------------------------------------------------------------

BAD=$ROOT/tests/bad-traces
EXPECTED=$BAD/EXPECTED
if [ ! -f "$EXPECTED" ]; then
    bad "tests/bad-traces/EXPECTED is missing"
    : >expected.txt
else
    grep -v '^#' "$EXPECTED" | grep -v '^[[:space:]]*$' >expected.txt
fi
# Relative names, as a user at the repository root would type them, so messages match.
ln -s "$ROOT/tests" "$WORK/tests"
tab=$(printf '\t')
for f in "$BAD"/*.jsonl; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    line=$(awk -F '\t' -v n="$name" '$1 == n { print; exit }' expected.txt)
    if [ -z "$line" ]; then
        bad "bad trace $name: no line for it in tests/bad-traces/EXPECTED"
        continue
    fi
    want_rc=$(printf '%s\n' "$line" | cut -f 2)
    want=$(printf '%s\n' "$line" | cut -f 3-)
    run_limited out.txt "$BIN" check "tests/bad-traces/$name"
    if [ "$rc" -ne "$want_rc" ]; then
        bad "check $name (exit $rc, wanted $want_rc)"
        show out.txt
    elif grep -qF -- "$want" out.txt; then
        ok "check $name: exit $rc, $want"
    else
        bad "check $name: output lacks '$want'"
        show out.txt
    fi
    # The reader refused it (exit 2 from check with the "FILE: line N" message of the reader,
    # not of the checker): replay and shrink read it the same way.
    reader=0
    "$BIN" replay "tests/bad-traces/$name" >replay.txt 2>&1 </dev/null
    replay_rc=$?
    "$BIN" shrink "tests/bad-traces/$name" -o min.json >shrink.txt 2>&1 </dev/null
    shrink_rc=$?
    if [ "$want_rc" -eq 2 ] && grep -qF -- "$want" replay.txt; then reader=1; fi
    for cmd in replay shrink; do
        eval "got=\$${cmd}_rc"
        if [ "$reader" -eq 1 ]; then
            if [ "$got" -eq 2 ] && grep -qF -- "$want" "$cmd.txt"; then
                ok "$cmd $name is refused: exit 2"
            else
                bad "$cmd $name is refused (exit $got, wanted 2 and '$want')"
                show "$cmd.txt"
            fi
        elif [ "$cmd" = replay ] && [ "$got" -le 1 ] &&
            grep -qE '^(IDENTICAL|DIVERGED) ' replay.txt; then
            ok "$cmd $name ends with a verdict: exit $got, $(grep -oE '^(IDENTICAL|DIVERGED)' replay.txt)"
        elif [ "$cmd" = shrink ] && { { [ "$got" -eq 2 ] && grep -q 'nothing to shrink' shrink.txt; } ||
            { [ "$got" -eq 0 ] && grep -q '^shrunk ' shrink.txt; }; }; then
            ok "$cmd $name ends with a verdict: exit $got"
        else
            bad "$cmd $name ends with a verdict (exit $got)"
            show "$cmd.txt"
        fi
    done
done
while IFS="$tab" read -r name rest; do
    [ -n "$name" ] || continue
    [ -e "$BAD/$name" ] || bad "tests/bad-traces/EXPECTED names $name, which does not exist"
done <expected.txt

# ---- an unwritable trace: the scenario is not reported as run ------------------------------
run_limited out.txt "$BIN" run "$ROOT/scenarios/figure8.json" --trace /nonexistent/dir/t.jsonl
if [ "$rc" -eq 2 ] && grep -q "cannot write /nonexistent/dir/t.jsonl" out.txt && ! grep -q "^PASS" out.txt; then
    ok "an unwritable --trace is exit 2, and the scenario is not reported as passed"
else
    bad "an unwritable --trace (exit $rc)"
    show out.txt
fi

run_limited out.txt "$BIN" fuzz --count 10 --out /nonexistent/dir
if [ "$rc" -eq 2 ] && grep -q "cannot create /nonexistent/dir" out.txt; then
    ok "fuzz refuses an output directory it cannot create (exit 2) before running"
else
    bad "fuzz with an unwritable --out (exit $rc)"
    show out.txt
fi

# ---- resource limits: a run that would exhaust memory stops with a clear failure --------------

# 255 nodes and a million commands at once: every proposal fans out to 254 followers.
cat > flood.json <<'JSON'
{"name": "flood", "cluster": {"nodes": 255}, "run_ms": 10000,
 "events": [{"at_ms": 2000, "do": "submit", "node": "leader", "count": 1000000}]}
JSON
run_limited out.txt "$BIN" run flood.json
if [ "$rc" -eq 1 ] && grep -q "FAIL flood: more than .* events queued at once" out.txt; then
    ok "a message flood stops at the queue limit in ${secs} s (exit 1, no OOM)"
else
    bad "a message flood stops at the queue limit (exit $rc after ${secs} s)"
    show out.txt
fi

finish

#!/bin/sh
# The scenario suite, end to end, on every implementation (SPEC section 6). Usage:
# tests/run_scenarios.sh path/to/raftsim
#   (a) every scenarios/*.json passes (exit 0) on each implementation, or is refused with exit 2 naming the field that it cannot run
#       ("implementations" on any implementation the file does not list, or "initial" on
#       canonical; listed in the README);
#   (b) running a scenario twice writes byte-identical traces (determinism);
#   (c) `raftsim check` accepts every trace;
#   (d) `raftsim replay` reproduces every trace (exit 0, "IDENTICAL");
#   (e) the scenarios can fail: each "SCENARIO BUG" pair of tests/scenario_bugs.txt exits 1
#       when run with --bug BUG;
#   (f) every tests/bad/*.json is refused with exit 2 and the stderr text tests/bad/EXPECTED
#       gives for it (lines FILENAME<TAB>substring);
#   (g) `raftsim CMD --help` prints CMD's usage and paragraph, exit 0.
# One line per check, then "N passed, M failed"; exits 1 if anything failed. Everything runs
# from a temporary directory, so that failing runs' saved traces (raftsim-traces/) never land
# in the repository.
set -eu

. "$(dirname "$0")/lib.sh"
need_bin "$@"
in_scratch run_scenarios

# ---- (a)-(d): every scenario ----------------------------------------------------------------

# scenario_checks FILE IMPL: (a)-(d) for one scenario on one implementation.
scenario_checks() {
    f=$1
    impl=$2
    name=$(basename "$f" .json)@$impl
    t1=$WORK/$name.1.jsonl
    t2=$WORK/$name.2.jsonl

    # (a) it passes, or canonical raft refuses it naming the field
    rc=0
    "$BIN" run "$f" --impl "$impl" >out.txt 2>&1 || rc=$?
    # Refused only where the file says so: a preset log (canonical raft cannot load one), or an
    # "implementations" list without this implementation; anything else must run.
    refusable=0
    if [ "$impl" != builtin ]; then
        grep -q '"initial"' "$f" && refusable=1
    fi
    grep -q '"implementations"' "$f" &&
        ! grep -q "\"implementations\": *\[[^]]*\"$impl\"" "$f" && refusable=1
    if [ "$rc" -eq 2 ] && [ "$refusable" = 1 ] &&
        grep -q "$(basename "$f"): \(implementations\|initial\): " out.txt; then
        ok "refused $name: $(sed -n 's/.*\.json: //p' out.txt | cut -c1-90)"
        return
    elif [ "$refusable" = 1 ]; then
        bad "$name should be refused (exit $rc)"
        show out.txt
        return
    elif [ "$rc" -eq 0 ] && grep -q "^PASS " out.txt && grep -q '^1 passed, 0 failed$' out.txt; then
        ok "run $name"
    else
        bad "run $name (exit $rc)"
        show out.txt
    fi

    # (b) two traced runs, byte-identical traces
    rc1=0
    "$BIN" run "$f" --impl "$impl" --trace "$t1" >out1.txt 2>&1 || rc1=$?
    rc2=0
    "$BIN" run "$f" --impl "$impl" --trace "$t2" >out2.txt 2>&1 || rc2=$?
    if [ ! -s "$t1" ] || [ ! -s "$t2" ]; then
        bad "deterministic $name (no trace written; exits $rc1, $rc2)"
        show out1.txt
        return
    elif cmp -s "$t1" "$t2"; then
        ok "deterministic $name (identical traces)"
    else
        bad "deterministic $name (the two traces differ)"
        cmp "$t1" "$t2" >out.txt 2>&1 || true
        show out.txt
    fi

    # (c) the trace alone satisfies every invariant
    rc=0
    "$BIN" check "$t1" >out.txt 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        ok "check $name"
    else
        bad "check $name (exit $rc)"
        show out.txt
    fi

    # (d) replaying the trace reproduces it event for event
    rc=0
    "$BIN" replay "$t1" >out.txt 2>&1 || rc=$?
    if [ "$rc" -eq 0 ] && grep -q IDENTICAL out.txt; then
        ok "replay $name"
    else
        bad "replay $name (exit $rc$(grep -q IDENTICAL out.txt || echo ', no IDENTICAL'))"
        show out.txt
    fi
}

found=0
for f in "$ROOT"/scenarios/*.json; do
    [ -e "$f" ] || continue
    found=1
    for impl in builtin canonical; do
        scenario_checks "$f" "$impl"
    done
done
if [ "$found" -eq 0 ]; then
    bad "scenarios: no scenarios/*.json found under $ROOT"
fi

# ---- (e): the scenarios can fail ------------------------------------------------------------

BUGS=$ROOT/tests/scenario_bugs.txt
if [ ! -f "$BUGS" ]; then
    bad "scenario bugs: $BUGS is missing"
else
    # Lines "SCENARIO_FILE BUG_NAME"; blank lines and #-comments are skipped. A scenario
    # file is named relative to scenarios/ (or to the repository root).
    grep -v '^[[:space:]]*#' "$BUGS" | grep -v '^[[:space:]]*$' >bugs.txt || true
    while read -r scn bug rest; do
        if [ -z "$bug" ] || [ -n "$rest" ]; then
            bad "scenario bugs: malformed line '$scn $bug $rest'"
            continue
        fi
        if [ -f "$ROOT/scenarios/$scn" ]; then
            path=$ROOT/scenarios/$scn
        elif [ -f "$ROOT/$scn" ]; then
            path=$ROOT/$scn
        else
            bad "$scn fails under --bug $bug (no such scenario)"
            continue
        fi
        rc=0
        "$BIN" run "$path" --bug "$bug" >out.txt 2>&1 </dev/null || rc=$?
        if [ "$rc" -eq 1 ]; then
            ok "$scn fails under --bug $bug: $(grep '^FAIL' out.txt | head -n 1 | cut -c1-110)"
        else
            bad "$scn fails under --bug $bug (exit $rc, wanted 1)"
            show out.txt
        fi
    done <bugs.txt
fi

# ---- (e'): a field that changes the run must change it -------------------------------------
# clock-drift.json expects node 3, whose clock runs twice as fast, to lead first: on both
# implementations it does with the drift, and does not without it (the field is not ignored).
sed 's/, "clock_drift": \[[^]]*\]//' "$ROOT/scenarios/clock-drift.json" > nodrift.json
for impl in builtin canonical; do
    "$BIN" run "$ROOT/scenarios/clock-drift.json" --impl "$impl" >out.txt 2>&1 || true
    "$BIN" run nodrift.json --impl "$impl" >out2.txt 2>&1 || true
    grep -q "^PASS clock-drift" out.txt && grep -q "^FAIL clock-drift: events\[0\]" out2.txt &&
        ok "clock drift on $impl: the fast clock leads first, and without drift it does not" ||
        { bad "clock drift on $impl changes who leads first"; show out2.txt 3; }
done

# ---- (f): bad input is refused with exit 2 and a precise message ----------------------------

BAD=$ROOT/tests/bad
if [ ! -d "$BAD" ]; then
    echo "skip tests/bad: the directory does not exist yet"
else
    EXPECTED=$BAD/EXPECTED
    if [ ! -f "$EXPECTED" ]; then
        bad "tests/bad/EXPECTED is missing"
        : >"$WORK/expected.txt"
    else
        cp "$EXPECTED" "$WORK/expected.txt"
    fi
    tab=$(printf '\t')
    # Run with the relative path "tests/bad/x.json", as a user at the repository root would,
    # so that the messages name it that way, but from the temporary directory.
    ln -s "$ROOT/tests" "$WORK/tests"
    for f in "$BAD"/*.json; do
        [ -e "$f" ] || continue
        name=$(basename "$f")
        want=$(awk -F '\t' -v n="$name" '$1 == n { sub(/^[^\t]*\t/, ""); print; exit }' \
            "$WORK/expected.txt")
        rc=0
        "$BIN" run "tests/bad/$name" >out.txt 2>err.txt || rc=$?
        if [ "$rc" -ne 2 ]; then
            bad "bad input $name is refused (exit $rc, wanted 2)"
            show err.txt 3
        elif [ -z "$want" ]; then
            bad "bad input $name: no line for it in tests/bad/EXPECTED"
        elif grep -qF -- "$want" err.txt; then
            ok "bad input $name is refused: $want"
        else
            bad "bad input $name: stderr lacks '$want'"
            show err.txt 3
        fi
    done
    # Lines of EXPECTED that name no file.
    while IFS="$tab" read -r name want; do
        [ -n "$name" ] || continue
        [ -e "$BAD/$name" ] || bad "tests/bad/EXPECTED names $name, which does not exist"
    done <"$WORK/expected.txt"
fi

# ---- (g): every command answers --help with its own usage -----------------------------------

for c in run fuzz replay shrink check view export; do
    rc=0
    "$BIN" "$c" --help >out.txt 2>err.txt || rc=$?
    if [ "$rc" -eq 0 ] && grep -q "^  raftsim $c " out.txt && grep -q "^$c " out.txt &&
        [ "$(grep -c '^  raftsim ' out.txt)" -eq 1 ] && [ ! -s err.txt ]; then
        ok "raftsim $c --help: its usage and paragraph, exit 0"
    else
        bad "raftsim $c --help (exit $rc)"
        show out.txt 5
        show err.txt 3
    fi
done
rc=0
"$BIN" run tests/bad/no-such-file.json -h >out.txt 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && grep -q "^  raftsim run " out.txt; then
    ok "-h anywhere after the command gives its help"
else
    bad "-h anywhere after the command gives its help (exit $rc)"
fi

finish

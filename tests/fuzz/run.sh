#!/bin/sh
# Runs the parser fuzz harnesses built by `make fuzz-parsers`, SECONDS each, one after the
# other. Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]   (default: scenario trace)
# FUZZ_SEED=N in the environment fixes libFuzzer's seed (CI does, so that its run is the same
# sequence of inputs every time); without it each run explores differently.
#
# Each starts from tests/fuzz/corpus/NAME/ (read only) and writes the new inputs it finds to a
# scratch directory that is thrown away, so the repository's corpus stays as committed. A crash,
# leak, timeout or out-of-memory input is written to tests/fuzz/crashes/NAME-KIND-SHA1, which is
# kept as a regression input (tests/test_parsers.c replays every file there). Prints one line
# per harness with its executions and time, and exits 1 if any harness found anything.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS [HARNESS...]" >&2
    exit 2
fi
BUILD=$1
SECONDS_EACH=$2
shift 2
[ $# -gt 0 ] || set -- scenario trace
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-parsers.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT TERM
CRASHES=$ROOT/tests/fuzz/crashes
mkdir -p "$CRASHES"

status=0
for name in "$@"; do
    bin=$BUILD/fuzz/fuzz_$name
    if [ ! -x "$bin" ]; then
        echo "fuzz_$name: $bin is not built" >&2
        status=1
        continue
    fi
    mkdir -p "$SCRATCH/$name"
    log=$SCRATCH/$name.log
    before=$(ls "$CRASHES" | wc -l)
    start=$(date +%s)
    # -close_fd_mask=3: the checker prints a verdict per input; libFuzzer and the sanitizers
    # keep their own output. -timeout: an input that takes 10 s is a finding (a hang).
    "$bin" "$SCRATCH/$name" "$ROOT/tests/fuzz/corpus/$name" \
        -dict="$ROOT/tests/fuzz/$name.dict" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 -close_fd_mask=3 \
        ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
        -artifact_prefix="$CRASHES/$name-" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    found=$(($(ls "$CRASHES" | wc -l) - before))
    new=$(ls "$SCRATCH/$name" | wc -l)
    echo "fuzz_$name: ${execs:-?} executions in ${secs} s (${cov:-cov: ?}, $new new inputs)," \
        "exit $rc, $found new files in tests/fuzz/crashes/"
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        status=1
        echo "fuzz_$name: FINDING; the end of its log:"
        tail -n 60 "$log" | sed 's/^/    /'
    fi
done
exit "$status"

#!/bin/sh
# coverage.sh - what a fixed default fuzz campaign reaches: line and branch coverage (gcov) of
# raft/ and of each implementation's adapter, then every line of raft/ it never ran.
# Usage: tools/coverage.sh BUILD_DIR   (make coverage builds BUILD_DIR with --coverage first)
# The campaign: `raftsim fuzz --count 20000` on the built-in node and on canonical raft (whose
# failures are the library's own: exit 1 is expected there), 2 jobs, counts reset first.
set -eu
BUILD=${1:-build-cov}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
[ -x "$BUILD/raftsim" ] || { echo "coverage: $BUILD/raftsim missing (run make coverage)" >&2; exit 2; }
find "$BUILD" -name '*.gcda' -delete
rm -rf "$BUILD/fuzz-out"
mkdir -p "$BUILD/fuzz-out"
for impl in builtin canonical; do
    rc=0
    "$BUILD/raftsim" fuzz --impl "$impl" --count 20000 --jobs 2 --shrink-runs 0 --quiet \
        --out "$BUILD/fuzz-out/$impl" > "$BUILD/fuzz-$impl.log" 2>&1 || rc=$?
    [ "$rc" -le 1 ] || { echo "coverage: the $impl campaign failed (exit $rc)" >&2; exit 1; }
    tail -2 "$BUILD/fuzz-$impl.log" | head -1 | sed "s/^/$impl: /"
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo
printf "%-22s %16s %16s %16s\n" "file" "lines" "branches taken" "branches run"
mkdir -p "$BUILD/gcov"
for src in raft/raft.c sim/node/builtin.c sim/node/canonical.c; do
    # gcov finds the sources by the paths they were compiled with (from the top of the tree)
    # and writes its annotated copies into the current directory: moved into BUILD/gcov.
    gcov -b -c -o "$BUILD/${src%.c}.o" "$src" > "$WORK/out.txt" 2>&1 || true
    for g in *.gcov; do [ -e "$g" ] && mv "$g" "$BUILD/gcov/"; done
    summary=$(grep -A4 "^File '$src'" "$WORK/out.txt")
    lines=$(echo "$summary" | sed -n 's/^Lines executed:\(.*\)/\1/p')
    taken=$(echo "$summary" | sed -n 's/^Taken at least once:\(.*\)/\1/p')
    run=$(echo "$summary" | sed -n 's/^Branches executed:\(.*\)/\1/p')
    printf '%-22s %16s %16s %16s\n' "$src" "$lines" "$taken" "$run"
done
echo
echo "lines of raft/ the campaign never ran (source lines with count #####):"
sed -n 's/^ *#####: *\([0-9]*\):\(.*\)/  raft\/raft.c:\1:\2/p' \
    "$BUILD/gcov/raft.c.gcov" > "$WORK/missed"
if [ -s "$WORK/missed" ]; then cat "$WORK/missed"; else echo "  none"; fi

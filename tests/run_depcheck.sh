#!/bin/sh
# run_depcheck.sh - tools/depcheck.sh passes on the tree as it is, and fails, naming the rule
# and the files, on a copy of the tree with one planted breach of each rule:
#   1. a file under raft/ includes a file of sim/;
#   2. a file under sim/ includes a file of tools/;
#   3. two object files use each other's symbols (a loop), and two headers include each other.
# Usage: sh tests/run_depcheck.sh [BUILD_DIR]    (part of make test)
set -u
. "$(dirname "$0")/lib.sh"
BUILD=${1:-build}
TOP=$ROOT
cd "$TOP" || exit 2
in_scratch depcheck
cd "$TOP" || exit 2

# check NAME CMD...: the command succeeds.
check() {
    name=$1
    shift
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name: $out"; fi
}

check "the tree as it is passes" sh tools/depcheck.sh "$BUILD"

# fresh_copy: a copy of the sources and objects in $COPY, where one breach is planted.
COPY="$WORK/tree"
fresh_copy() {
    rm -rf "$COPY"
    mkdir -p "$COPY/build"
    cp -R raft sim tools Makefile "$COPY"/
    cp -R "$BUILD"/raft "$BUILD"/sim "$BUILD"/tools "$COPY/build"/
}

# expect_breach NAME PATTERN: depcheck on the copy fails and its output matches PATTERN.
expect_breach() {
    out=$(sh "$TOP/tools/depcheck.sh" build "$COPY" 2>&1)
    rc=$?
    if [ "$rc" = 1 ] && printf '%s\n' "$out" | grep -q "$2"; then
        ok "$1"
    else
        bad "$1 (exit $rc, output: $out)"
    fi
}

# plant FILE INCLUDE FUNCTION: appends an include and a function to a source file of the copy.
plant() {
    printf '#include "%s"\nvoid %s(void);\nvoid %s(void) { %s }\n' "$2" "$3" "$3" "$4" \
        >> "$COPY/$1"
}

# rebuild OBJ...: rebuilds objects of the copy with the project's own flags.
rebuild() {
    (cd "$COPY" && make -s BUILD=build "$@" >/dev/null 2>&1)
}

# Rule 1: raft/ includes sim/, from the top of the tree or relative to the file.
fresh_copy
printf '#include "sim/base/util.h"\n' >> "$COPY/raft/raft.c"
expect_breach "a raft/ file including sim/ is refused" \
    "rule 1.*raft/raft.c includes sim/base/util.h"
fresh_copy
printf '#include "../sim/base/rng.h"\n' >> "$COPY/raft/raft.h"
expect_breach "a raft/ header including ../sim/ is refused" \
    "rule 1.*raft/raft.h includes sim/base/rng.h"

# Rule 2: sim/ includes tools/.
fresh_copy
printf '#include "tools/raftsim/cli.h"\n' >> "$COPY/sim/base/util.c"
expect_breach "a sim/ file including tools/ is refused" \
    "rule 2.*sim/base/util.c includes tools/raftsim/cli.h"

# Rule 3a: a symbol loop between two object files: rng.c calls util.c, util.c calls rng.c.
fresh_copy
plant sim/base/rng.c sim/base/util.h planted_rng_user 'rs_xstrdup("x");'
plant sim/base/util.c sim/base/rng.h planted_util_user 'rs_rng r; rs_rng_seed(&r, 1, 2);'
if rebuild build/sim/base/rng.o build/sim/base/util.o; then
    expect_breach "a symbol loop between two object files is refused" \
        "sim/base/rng.c -> sim/base/util.c (rs_xstrdup)"
else
    bad "the planted two-file loop did not build"
fi

# ... and around three: rng.c -> util.c -> bugs.c -> rng.c (no pair depends on each other).
fresh_copy
plant sim/base/rng.c sim/base/util.h planted_rng_user 'rs_xstrdup("x");'
plant sim/base/util.c sim/base/bugs.h planted_util_user 'bug_find("x");'
plant sim/base/bugs.c sim/base/rng.h planted_bugs_user 'rs_rng r; rs_rng_seed(&r, 1, 2);'
if rebuild build/sim/base/rng.o build/sim/base/util.o build/sim/base/bugs.o; then
    expect_breach "a symbol loop through three object files is refused" \
        "sim/base/bugs.c -> sim/base/rng.c (rs_rng_seed)"
else
    bad "the planted three-file loop did not build"
fi

# Rule 3b: two headers that include each other.
fresh_copy
printf '#include "sim/base/util.h"\n' >> "$COPY/sim/base/rng.h"
printf '#include "sim/base/rng.h"\n' >> "$COPY/sim/base/util.h"
expect_breach "two headers including each other are refused" "loop of files (#include lines)"

fresh_copy
check "an untouched copy passes" sh "$TOP/tools/depcheck.sh" build "$COPY"

finish

#!/bin/sh
# depcheck.sh - enforces the architecture's three dependency rules (README, "How it works"):
#   1. no file under raft/ includes anything outside raft/ (the built-in node stays pure);
#   2. no file under sim/ includes anything under tools/ (the engine knows no program);
#   3. no source files depend on each other, directly or around a loop: neither through the
#      symbols their object files define and use (read with nm), nor through the #include
#      lines of the headers.
# Usage: tools/depcheck.sh [BUILD_DIR] [TREE]   (objects from BUILD_DIR, default build;
# sources from TREE, default .). Prints every breach and exits 1, or prints one OK line.
set -eu
BUILD=${1:-build}
TREE=${2:-.}
NM=${NM:-nm}
cd "$TREE"
fail=0

# Every quoted include of a file, resolved as the compiler does with -I.: next to the file
# first, then from the top of the tree. Prints "FILE TARGET" pairs.
includes() {
    for f in "$@"; do
        dir=$(dirname "$f")
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
            while read -r inc; do
                if [ -e "$dir/$inc" ]; then
                    # normalise dir/../x to a path from the top of the tree
                    target=$(cd "$(dirname "$dir/$inc")" && pwd -P)/$(basename "$inc")
                    target=${target#"$(pwd -P)/"}
                else
                    target=$inc
                fi
                echo "$f $target"
            done
    done
}

SOURCES=$(find raft sim tools -name '*.[ch]' | LC_ALL=C sort)

# Rules 1 and 2.
breaches=$(includes $SOURCES | awk '
    $1 ~ /^raft\// && $2 !~ /^raft\// { print "rule 1 (raft/ is self-contained): " $1 " includes " $2 }
    $1 ~ /^sim\// && $2 ~ /^tools\//  { print "rule 2 (sim/ never includes tools/): " $1 " includes " $2 }')
if [ -n "$breaches" ]; then
    echo "$breaches"
    fail=1
fi

# Loops in a graph given as "E FROM TO WHY" lines: transitive closure (Floyd-Warshall, the
# graph has a few dozen nodes), then each loop's members and the edges among them.
loops() {
    awk -v what="$1" '
        BEGIN { n = 0 }
        $1 == "E" && $2 != $3 {
            if (!($2 in id)) { id[$2] = n; name[n++] = $2 }
            if (!($3 in id)) { id[$3] = n; name[n++] = $3 }
            a = id[$2]; b = id[$3]
            if (!((a, b) in why)) why[a, b] = $4
            r[a, b] = 1
        }
        END {
            for (k = 0; k < n; k++) for (i = 0; i < n; i++) if ((i, k) in r)
                for (j = 0; j < n; j++) if ((k, j) in r) r[i, j] = 1
            for (i = 0; i < n; i++) {
                if (!((i, i) in r) || (i in seen)) continue
                msg = ""
                for (j = 0; j < n; j++) if ((i, j) in r && (j, i) in r) seen[j] = 1
                for (a = 0; a < n; a++) for (b = 0; b < n; b++)
                    if ((a in seen) && !(a in done) && (b in seen) && !(b in done) && ((a, b) in why))
                        msg = msg "\n    " name[a] " -> " name[b] " (" why[a, b] ")"
                for (j = 0; j < n; j++) if (j in seen) done[j] = 1
                print "rule 3 (no dependency loops): a loop of " what ":" msg
                bad = 1
            }
            exit bad
        }'
}

# Rule 3a: symbols. Each object maps back to its source file.
# Objects whose source is gone (moved or deleted since the last build) are left out.
OBJS=$(find "$BUILD/raft" "$BUILD/sim" "$BUILD/tools" -name '*.o' 2>/dev/null | LC_ALL=C sort |
    while read -r o; do src=${o#"$BUILD/"}; [ ! -e "${src%.o}.c" ] || echo "$o"; done)
if [ -z "$OBJS" ]; then
    echo "depcheck: no object files under $BUILD/{raft,sim,tools}: build first (make)" >&2
    exit 2
fi
if ! for o in $OBJS; do
    src=${o#"$BUILD/"}
    src=${src%.o}.c
    "$NM" -P --defined-only "$o" | awk -v f="$src" '$2 ~ /^[TDBRVWGS]$/ { print "D", f, $1 }'
    "$NM" -P -u "$o" | awk -v f="$src" '{ print "U", f, $1 }'
done | awk '
    $1 == "D" { def[$3] = $2; next }
    { use[++n] = $2; sym[n] = $3 }
    END { for (i = 1; i <= n; i++) if (sym[i] in def) print "E", use[i], def[sym[i]], sym[i] }' |
    loops "object files (symbols they use from each other)"; then
    fail=1
fi

# Rule 3b: header include loops.
if ! includes $SOURCES | awk '{ print "E", $1, $2, "#include" }' |
    loops "files (#include lines)"; then
    fail=1
fi

if [ "$fail" = 0 ]; then
    echo "depcheck: OK ($(echo "$SOURCES" | wc -l) source files, $(echo "$OBJS" | wc -l) objects:" \
        "raft/ self-contained, sim/ free of tools/, no dependency loops)"
fi
exit "$fail"

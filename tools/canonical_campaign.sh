#!/bin/sh
# canonical_campaign.sh - a long fuzz campaign against canonical raft, every failure triaged.
# Runs each profile's share of seeds in chunks (raftsim fuzz --impl canonical, traces kept,
# no shrinking), sorts each chunk's failing traces by cause with tools/triage_canonical.py,
# deletes the chunk's files and goes on, so a campaign of 10^6 seeds needs little disk.
# Prints per profile: seeds, seconds, seeds/s, failures by cause; then the totals.
# Usage: tools/canonical_campaign.sh [path/to/raftsim] [SEEDS_PER_UNIT]
#   Each profile runs a number of units of seeds (default unit: 100000; default 10 units in
#   all: default 4, disks 2, crashes, partitions, lossy, chaos 1 each = 10^6 seeds).
set -eu
BIN=$(cd "$(dirname "${1:-./raftsim}")" && pwd)/$(basename "${1:-./raftsim}")
UNIT=${2:-100000}
TOP=$(cd "$(dirname "$0")/.." && pwd)
CHUNK=$((UNIT < 50000 ? UNIT : 50000))
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
: > "$WORK/odd"
all_seeds=0
all_secs=0
: > "$WORK/causes"
for spec in default:4 disks:2 crashes:1 partitions:1 lossy:1 chaos:1; do
    profile=${spec%:*}
    n=$((${spec#*:} * UNIT))
    base=1
    secs=0
    : > "$WORK/p-causes"
    while [ "$base" -le "$n" ]; do
        last=$((base + CHUNK - 1))
        [ "$last" -le "$n" ] || last=$n
        out="$WORK/out"
        rm -rf "$out"
        start=$(date +%s.%N)
        "$BIN" fuzz --impl canonical --profile "$profile" --seeds "$base..$last" \
            --shrink-runs 0 --out "$out" --quiet > "$WORK/log" 2>&1 || true
        end=$(date +%s.%N)
        secs=$(echo "$secs + $end - $start" | bc)
        # Seeds that crashed or hung their worker are counted from the log (their traces are
        # cut off) and listed for reading by hand, as are failures of an unknown cause.
        grep '^FAIL seed [0-9]*: \(crash\|hang\)' "$WORK/log" | tee -a "$WORK/odd" |
            sed 's/^FAIL seed [0-9]*: \([a-z]*\):.*/\1 (worker died)/' >> "$WORK/p-causes" || true
        if ls "$out"/*.trace.jsonl > /dev/null 2>&1; then
            python3 "$TOP/tools/triage_canonical.py" "$out" | grep -v '^ ' > "$WORK/tri" || true
            grep 'unknown\|liveness' "$WORK/tri" | sed "s|^$out/|$profile |" \
                >> "$WORK/odd" || true
            # Liveness failures are counted too, and listed to read; a dead worker's cut-off
            # trace ("no violation") is counted above.
            grep -v 'no violation' "$WORK/tri" | sed 's/^[^:]*: //; s/^liveness .*/liveness/' \
                >> "$WORK/p-causes" || true
        fi
        base=$((last + 1))
    done
    rate=$(echo "$n / $secs" | bc)
    printf '%-10s %8d seeds %8.1f s %6d seeds/s  failures:' "$profile" "$n" "$secs" "$rate"
    if [ -s "$WORK/p-causes" ]; then
        sort "$WORK/p-causes" | uniq -c | sort -rn | awk '{c=$1; $1=""; printf " %d%s;", c, $0}'
    else
        printf ' none'
    fi
    echo
    cat "$WORK/p-causes" >> "$WORK/causes"
    all_seeds=$((all_seeds + n))
    all_secs=$(echo "$all_secs + $secs" | bc)
done
printf 'all        %8d seeds %8.1f s %6d seeds/s  failures:' "$all_seeds" "$all_secs" \
    "$(echo "$all_seeds / $all_secs" | bc)"
sort "$WORK/causes" | uniq -c | sort -rn | awk '{c=$1; $1=""; printf " %d%s;", c, $0}'
echo
if [ -s "$WORK/odd" ]; then
    echo "to read by hand (workers that died, causes not recognised):"
    sed 's/^/  /' "$WORK/odd"
fi

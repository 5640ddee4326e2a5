#!/bin/sh
# For each injected bug: seeds to the first failure from several seed bases (median), the
# invariant that caught it, and the size of the shrunk scenario. Prints a Markdown table.
# Usage: tools/bug_table.sh [path/to/raftsim] [bases]    (make bug-table)
set -eu
BIN=$(cd "$(dirname "${1:-./raftsim}")" && pwd)/$(basename "${1:-./raftsim}")
BASES=${2:-"1 100001 200001 300001 400001"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "| bug | median seeds to first failure (bases: $BASES) | caught by | shrunk scenario (median events / nodes) | seconds to first failure (median, 1 job) |"
echo "|---|---|---|---|---|"
for bug in $("$BIN" fuzz --bug list | awk '{print $1}'); do
    : > seeds; : > invs; : > evs; : > nodes; : > secs
    for base in $BASES; do
        out="o-$bug-$base"
        start=$(date +%s.%N)
        "$BIN" fuzz --seed-base "$base" --count 1000000 --jobs 1 --bug "$bug" --stop-after 1 \
            --out "$out" --quiet > log 2>&1 || true
        end=$(date +%s.%N)
        seed=$(sed -n 's/^FAIL seed \([0-9]*\): \([a-z_]*\):.*/\1/p' log | head -1)
        inv=$(sed -n 's/^FAIL seed \([0-9]*\): \([a-z_]*\):.*/\2/p' log | head -1)
        [ -n "$seed" ] || { echo "| $bug | not found from base $base | | | |"; continue; }
        echo $((seed - base + 1)) >> seeds
        echo "$inv" >> invs
        echo "$end - $start" | bc >> secs
        python3 -c "import json;d=json.load(open('$out/seed-$seed.min.json'));print(len(d['events']), d['cluster']['nodes'])" > size
        cut -d' ' -f1 size >> evs
        cut -d' ' -f2 size >> nodes
    done
    printf "| %s | %s | %s | %s / %s | %.2f |\n" "$bug" "$(median < seeds)" \
        "$(sort invs | uniq -c | sort -rn | awk '{printf "%s%s (%d)", (NR>1?", ":""), $2, $1}')" \
        "$(median < evs)" "$(median < nodes)" "$(median < secs)"
done

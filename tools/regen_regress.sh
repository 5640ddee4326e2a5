#!/bin/sh
# Regenerates tests/regress/: for each injected bug, the first failing fuzz seed from seed 1,
# shrunk. Needed when a change alters runs (e.g. how random draws are made): the regression
# scenarios pin behaviour through their seeds. Usage: tools/regen_regress.sh [path/to/raftsim]
set -eu
BIN=$(cd "$(dirname "${1:-./raftsim}")" && pwd)/$(basename "${1:-./raftsim}")
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
: > tests/regress/EXPECTED
for bug in $("$BIN" fuzz --bug list | awk '{print $1}'); do
    "$BIN" fuzz --count 1000000 --bug "$bug" --stop-after 1 --jobs 1 --shrink-runs 3000 \
        --out "$WORK/$bug" --quiet > /dev/null 2>&1 || true
    min=$(ls "$WORK/$bug"/*.min.json | head -1)
    python3 - "$min" "$bug" <<'PY'
import json, sys
path, bug = sys.argv[1], sys.argv[2]
d = json.load(open(path))
origin = d["name"]
d["name"] = "regress-" + bug
d["description"] = ("Shrunk by `raftsim fuzz --bug %s` from %s: fails with that bug, "
                    "passes without it." % (bug, origin))
open("tests/regress/%s.json" % bug, "w").write(json.dumps(d, indent=2) + "\n")
PY
    inv=$(cd "$WORK" && "$BIN" run "$OLDPWD/tests/regress/$bug.json" --bug "$bug" --quiet \
        | sed -n 's/.*invariant \([a-z_]*\) violated.*/\1/p')
    printf '%s.json\t%s\t%s\n' "$bug" "$bug" "$inv" >> tests/regress/EXPECTED
    echo "$bug: $inv, from $(basename "$min")"
done

#!/bin/sh
# Determinism across builds: gcc and clang, at -O0 and -O2, must produce byte-identical traces
# for every scenario on both implementations (and every regression scenario, the built-in
# node's under its bug), and identical fuzz campaigns (the same failing seeds, with
# byte-identical traces and shrunk scenarios; one of them on canonical raft with slow disks),
# and the same viewer pages and Chrome exports of the regression traces.
# Usage: tests/run_determinism.sh          (make determinism)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
variants=""
for cc in gcc clang; do
    command -v $cc >/dev/null 2>&1 || { echo "skip $cc: not installed"; continue; }
    for opt in O0 O2; do
        v=$cc-$opt
        if make --no-print-directory BUILD="build-det/$v" CC=$cc CFLAGS="-$opt -g" \
            "build-det/$v/raftsim" > "$WORK/build-$v.log" 2>&1; then
            variants="$variants $v"
        else
            echo "FAIL build $v"; sed 's/^/     /' "$WORK/build-$v.log" | tail -5; fail=$((fail + 1))
        fi
    done
done
for v in $variants; do
    out="$WORK/$v"
    mkdir -p "$out/traces"
    bin="$ROOT/build-det/$v/raftsim"
    for f in scenarios/*.json; do
        "$bin" run "$f" --trace "$out/traces/$(basename "$f" .json).jsonl" > /dev/null 2>&1
        "$bin" run "$f" --impl canonical \
            --trace "$out/traces/canonical-$(basename "$f" .json).jsonl" > /dev/null 2>&1
    done
    for f in tests/regress/canonical/*.json; do
        "$bin" run "$f" --trace "$out/traces/regress-canonical-$(basename "$f" .json).jsonl" \
            > /dev/null 2>&1
    done
    while IFS='	' read -r file bug inv; do
        (cd "$out" && "$bin" run "$ROOT/tests/regress/$file" --bug "$bug" \
            --trace "traces/regress-$bug.jsonl" > /dev/null 2>&1)
    done < tests/regress/EXPECTED
    # the pictures of those traces: viewer pages and Chrome exports, byte for byte
    mkdir -p "$out/pages"
    for t in "$out"/traces/regress-*.jsonl; do
        b=$(basename "$t" .jsonl)
        (cd "$out/traces" && "$bin" view "$b.jsonl" -o "../pages/$b.html" > /dev/null 2>&1 &&
            "$bin" export --format chrome "$b.jsonl" -o "../pages/$b.json" > /dev/null 2>&1)
    done
    (cd "$out" && "$bin" fuzz --count 300 --jobs 1 --bug no_stepdown --out fuzz --quiet \
        > fuzz.txt 2>&1; "$bin" fuzz --count 200 --jobs 1 --bug dup_apply --out fuzz2 --quiet \
        >> fuzz.txt 2>&1; "$bin" fuzz --count 200 --jobs 1 --impl canonical --profile disks \
        --out fuzz3 --quiet >> fuzz.txt 2>&1)
    sed -i 's/ in [0-9.]* s ([0-9]* seeds\/s/ (time/' "$out/fuzz.txt" # wall time varies
done
first=""
for v in $variants; do
    if [ -z "$first" ]; then first=$v; continue; fi
    if diff -r "$WORK/$first" "$WORK/$v" > "$WORK/diff.txt" 2>&1; then
        pass=$((pass + 1)); echo "ok   $v gives the same traces and fuzz results as $first"
    else
        fail=$((fail + 1)); echo "FAIL $v differs from $first:"; head -5 "$WORK/diff.txt" | sed 's/^/     /'
    fi
done
n=$(ls "$WORK/$first/traces" | wc -l)
echo "compared $n traces and 3 fuzz campaigns across:$variants"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -ge 1 ]

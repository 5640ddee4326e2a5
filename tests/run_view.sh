#!/bin/sh
# The pictures of a trace, end to end (README "Seeing a run"). Usage: tests/run_view.sh path/to/raftsim
#   (a) `view` writes one self-contained page (no external script, style or link; the data
#       marker replaced), byte-identical for one trace, named after the trace by default;
#       `run --html`, `replay --html` and the fuzzer write the same page;
#   (b) `export --format chrome` writes a file that tests/chrome_trace_check.py accepts: the
#       trace-event format's rules, and the trace's leaders, flows and drops (needs python3);
#   (c) a failing run, replay and shrink print the timeline under the failure, deterministic,
#       bounded; a passing run prints none;
#   (d) hostile input: every trace of tests/bad-traces/ that `check` refuses as unreadable,
#       view and export refuse too (exit 2, the message naming the file and the line), and the
#       others they draw or refuse by their own rule (events in time order), naming the line; a
#       missing file, a directory, unknown options and formats, an unwritable output (exit
#       2); a trace whose time goes back; a command that would close the page's script
#       element stays inside its JSON string; 10^6 messages in flight; a thousand message
#       types (the first 63 by name, the rest as one).
# The browser test (make browser-test) checks what the pages draw.
# One line per check, then "N passed, M failed"; exits 1 if anything failed.
set -u

. "$(dirname "$0")/lib.sh"
need_bin "$@"
in_scratch run_view
ln -s "$ROOT/scenarios" scenarios
ln -s "$ROOT/tests" tests

# expect_rc NAME WANT TEXT CMD...: exit status WANT, and TEXT in the output (stdout + stderr).
expect_rc() {
    name=$1
    want=$2
    text=$3
    shift 3
    rc=0
    "$@" >out.txt 2>&1 </dev/null || rc=$?
    if [ "$rc" -eq "$want" ] && grep -qF -- "$text" out.txt; then
        ok "$name: exit $rc"
    else
        bad "$name (exit $rc, wanted $want and '$text')"
        show out.txt
    fi
}

# ---- (a) the page ----------------------------------------------------------------------------

"$BIN" fuzz --count 3000 --bug commit_old_term --stop-after 1 --jobs 1 --out fz --quiet >fuzz.txt 2>&1
seed=$(sed -n 's/^FAIL seed \([0-9]*\):.*/\1/p' fuzz.txt | head -n 1)
if [ -n "$seed" ] && [ -s "fz/seed-$seed.html" ] &&
    grep -qF "  picture:   xdg-open fz/seed-$seed.html" fuzz.txt; then
    ok "the fuzzer writes fz/seed-$seed.html and prints the command that opens it"
else
    bad "the fuzzer's page and command (seed '$seed')"
    show fuzz.txt
fi
tr=fz/seed-$seed.trace.jsonl
expect_rc "view with the default name" 0 "wrote fz/seed-$seed.html" "$BIN" view "$tr"
cp "fz/seed-$seed.html" default.html
"$BIN" view "$tr" -o a.html >/dev/null 2>&1
"$BIN" view "$tr" -o b.html >/dev/null 2>&1
if cmp -s a.html b.html && cmp -s a.html default.html; then
    ok "one trace, one page: byte-identical across runs, and the fuzzer's page is view's"
else
    bad "the page differs between runs of view, or from the fuzzer's"
fi
if grep -q '<script id="raftsim-data"' a.html && ! grep -q 'RAFTSIM-DATA' a.html &&
    ! grep -qiE '<(script|img|iframe)[^>]* src=|<link|@import|url\(' a.html; then
    ok "the page is self-contained: its data inline, no external script, style or link"
else
    bad "the page is not self-contained"
fi
"$BIN" run scenarios/kv-stale-leader-reads.json --bug stale_read --trace kv.jsonl --html kv1.html \
    >/dev/null 2>&1
"$BIN" replay kv.jsonl --html kv2.html >/dev/null 2>&1
"$BIN" view kv.jsonl -o kv3.html >/dev/null 2>&1
"$BIN" run scenarios/kv-stale-leader-reads.json --bug stale_read --html kv4.html >/dev/null 2>&1
if [ -s kv1.html ] && cmp -s kv1.html kv3.html && cmp -s kv2.html kv3.html; then
    ok "run --html, replay --html and view write the same page"
else
    bad "run --html, replay --html and view differ"
fi
if [ -s kv4.html ] && grep -q 'kv-stale-leader-reads' kv4.html; then
    ok "run --html without --trace builds the page from the trace in memory"
else
    bad "run --html without --trace"
fi
mkdir pages
expect_rc "run --html DIR with several scenarios" 0 "2 passed" "$BIN" run \
    scenarios/election-3-nodes.json scenarios/figure7-followers.json --html pages
if [ -s pages/election-3-nodes.html ] && [ -s pages/figure7-followers.html ]; then
    ok "with several scenarios, --html is a directory of NAME.html"
else
    bad "run --html DIR: pages missing"
fi

# ---- (b) the Chrome trace-event export ---------------------------------------------------------

for t in "$tr" kv.jsonl; do
    expect_rc "export --format chrome $t" 0 "wrote" "$BIN" export --format chrome "$t" -o x.json
    if command -v python3 >/dev/null 2>&1; then
        if python3 "$ROOT/tests/chrome_trace_check.py" "$t" x.json >check.txt 2>&1; then
            ok "$(cat check.txt)"
        else
            bad "the export of $t breaks the trace-event format's rules"
            show check.txt 10
        fi
    else
        ok "export of $t not validated: no python3"
    fi
done
"$BIN" export --format chrome kv.jsonl -o - >stdout.json 2>/dev/null
if cmp -s stdout.json x.json; then ok "export -o - writes to stdout"; else bad "export -o -"; fi

# ---- (c) the terminal timeline ------------------------------------------------------------------

"$BIN" replay "$tr" >r1.txt 2>&1
"$BIN" replay "$tr" >r2.txt 2>&1
rows=$(sed -n '/timeline:/,$p' r1.txt | grep -c '^ *[0-9][0-9]*\.[0-9][0-9][0-9] ')
if grep -q '^VIOLATION ' r1.txt && sed -n '/^VIOLATION /{n;p;}' r1.txt | grep -q '^  timeline: ' &&
    cmp -s r1.txt r2.txt && [ "$rows" -ge 3 ] && [ "$rows" -le 20 ] &&
    tail -n 1 r1.txt | grep -q -- '-- VIOLATION leader_completeness'; then
    ok "replay prints the timeline under the violation: $rows rows, deterministic, ending at it"
else
    bad "replay's timeline ($rows rows)"
    show r1.txt 30
fi
"$BIN" run scenarios/kv-stale-leader-reads.json --bug stale_read >run.txt 2>&1
if grep -q '^  timeline: ' run.txt && grep -q ' clients$' run.txt &&
    grep -q 'c1 get(x)' run.txt && grep -q '  trace:  raftsim-traces/' run.txt; then
    ok "a failing run prints the timeline (with the culprit operations), then where its trace is"
else
    bad "run's timeline"
    show run.txt 30
fi
"$BIN" shrink "$tr" -o min.json >shrink.txt 2>&1
if grep -q '^  timeline: ' shrink.txt; then
    ok "shrink prints the shrunk run's timeline"
else
    bad "shrink's timeline"
    show shrink.txt
fi
"$BIN" run scenarios/election-3-nodes.json >pass.txt 2>&1
if ! grep -q 'timeline' pass.txt; then ok "a passing run prints no timeline"; else bad "a passing run printed a timeline"; fi

# ---- (d) hostile input ----------------------------------------------------------------------------

for f in "$ROOT"/tests/bad-traces/*.jsonl; do
    name=tests/bad-traces/$(basename "$f")
    crc=0
    "$BIN" check "$name" >check.txt 2>&1 || crc=$?
    for cmd in view export; do
        set -- "$BIN" view "$name" -o out.html
        [ "$cmd" = export ] && set -- "$BIN" export --format chrome "$name" -o out.json
        rc=0
        "$@" >cmd.txt 2>&1 </dev/null || rc=$?
        if [ "$crc" -eq 2 ]; then
            # the file and, past the header, the line
            if [ "$rc" -eq 2 ] && grep -q "^$name: " cmd.txt; then
                ok "$cmd $name is refused: $(head -n 1 cmd.txt | cut -c1-110)"
            else
                bad "$cmd $name: exit $rc, wanted 2 naming the file"
                show cmd.txt
            fi
        elif [ "$rc" -eq 0 ]; then
            ok "$cmd $name: drawn (the checker's verdict is not the picture's business)"
        elif [ "$rc" -eq 2 ] && grep -q "^$name: line [0-9]*: " cmd.txt; then
            ok "$cmd $name is refused by the pictures' own rule: $(head -n 1 cmd.txt | cut -c1-90)"
        else
            bad "$cmd $name: exit $rc"
            show cmd.txt
        fi
    done
done
expect_rc "view of a missing file" 2 "no-such.jsonl: cannot read: No such file or directory" \
    "$BIN" view no-such.jsonl
expect_rc "export of a directory" 2 "cannot read: Is a directory" \
    "$BIN" export --format chrome "$WORK"
expect_rc "export with an unknown format" 2 "unknown format 'svg' (export knows: chrome)" \
    "$BIN" export --format svg "$tr"
expect_rc "export without a format" 2 "export needs --format" "$BIN" export "$tr"
expect_rc "view with an unknown option" 2 "unknown option '--zoom'" "$BIN" view "$tr" --zoom 2
expect_rc "view of two traces" 2 "view takes exactly one trace file" "$BIN" view "$tr" kv.jsonl
expect_rc "view without a trace" 2 "view needs a trace file" "$BIN" view
expect_rc "view into a missing directory" 2 "cannot write /nonexistent/dir/x.html.tmp" \
    "$BIN" view "$tr" -o /nonexistent/dir/x.html
expect_rc "run --html into a missing directory" 2 "cannot write /nonexistent/dir/x.html.tmp" \
    "$BIN" run scenarios/election-3-nodes.json --html /nonexistent/dir/x.html
# time that goes back: line 4 earlier than line 3
awk 'NR == 4 { sub(/"t_us":[0-9]+/, "\"t_us\":0") } { print }' kv.jsonl >back.jsonl
expect_rc "a trace whose time goes back" 2 "back.jsonl: line 4: t_us: 0 goes back in time" \
    "$BIN" view back.jsonl
# a command that closes the script element, and an ampersand: they stay inside the JSON string
"$BIN" run scenarios/leader-crash-reelection.json --trace lc.jsonl >/dev/null 2>&1
sed 's/"cmd":"cmd1"/"cmd":"<\/script><script>alert(1)<\/script>\&amp;"/' lc.jsonl >evil.jsonl
"$BIN" view evil.jsonl -o evil.html >/dev/null 2>&1
if grep -q 'alert(1)' evil.jsonl && [ "$(grep -c '</script>' evil.html)" -eq 2 ] &&
    grep -qF '\u003c/script\u003e\u003cscript\u003ealert(1)' evil.html; then
    ok "a command holding </script> stays inside the page's data (escaped)"
else
    bad "a command holding </script> breaks out of the page's data"
fi

# 10^6 messages still in flight (sends only), and a thousand message types (drawn as 64)
"$BIN" run "$ROOT/tests/fuzz/corpus/scenario/small-minimal.json" --trace small.jsonl >/dev/null 2>&1
head -n 1 small.jsonl >inflight.jsonl
awk 'BEGIN { for (i = 0; i < 1000000; i++)
    printf "{\"seq\":%d,\"t_us\":%d,\"ev\":\"send\",\"from\":1,\"to\":2,%s\"id\":%d}\n",
        i, i, "\"type\":\"AppendEntries\",", i + 1 }' >>inflight.jsonl
start=$(date +%s)
expect_rc "a trace of 10^6 messages in flight" 0 "wrote inflight.html" "$BIN" view inflight.jsonl
echo "     (view took $(($(date +%s) - start)) s)"
head -n 1 small.jsonl >types.jsonl
awk 'BEGIN { for (i = 0; i < 1000; i++)
    printf "{\"seq\":%d,\"t_us\":%d,\"ev\":\"send\",\"from\":1,\"to\":2,\"type\":\"T%d\",\"id\":%d}\n",
        i, i, i, i + 1 }' >>types.jsonl
"$BIN" view types.jsonl -o types.html >/dev/null 2>&1
"$BIN" export --format chrome types.jsonl -o types.json >/dev/null 2>&1
if grep -q '"(other types)"' types.html && ! grep -q '"T63"' types.html &&
    grep -q '"name":"send (other types) to 2"' types.json; then
    ok "a thousand message types: 63 drawn by name, the rest as one"
else
    bad "a thousand message types"
fi

finish

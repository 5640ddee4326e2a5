#!/bin/sh
# The README's quoted command output comes from the current build: every example is rerun and
# must print what the README shows. Usage: tests/run_readme.sh path/to/raftsim [README.md]
#   (the README may also be given as README=path in the environment; default: the repository's)
#
# An example is a fenced code block (```) whose first line starts with "$ ". Each "$ CMD" line is
# a command; the lines after it, up to the next "$ " line or the end of the block, are what it
# prints (stdout and stderr together, as a terminal shows them). The exit status is not compared.
#
# The commands of one block run in order, in one scratch directory of their own (so that a
# command can use what an earlier one wrote: fuzz-out/, min.json), where:
#   - "./raftsim" and "raftsim" are the binary under test (a symlink, and PATH);
#   - scenarios/ and tests/ are the repository's (symlinks), as at the repository root.
#
# Before comparing, both sides are normalised in what legitimately varies between runs, and
# nothing else (event counts, times in us, hashes, seeds, messages must match exactly):
#   - wall-clock figures: "fuzz: N seeds in 0.24 s (4517 seeds/s, ..." (seconds and rate);
#   - peak memory (VmHWM): "peak memory: 2.1 MiB" differs from run to run by a few 0.1 MiB;
#   - build ids: 0.1.0-<git hash>[-dirty];
#   - "N jobs" from `raftsim fuzz` without --jobs: the default is the machine's core count;
#   - `raftsim fuzz --stop-after N` with more than one job: how many seeds the other workers
#     got through before the stop is a matter of timing, so the seeds-done count and the
#     passed count are normalised (the failed count, the failing seeds and their lines are not);
#   - the actual output of `raftsim fuzz` loses its plain progress lines ("fuzz: D/T seeds,
#     R seeds/s, F failed, S s", on stderr every 10 s when stderr is not a terminal): on a
#     terminal the progress is one status line, erased before anything else is printed, so
#     the README never shows it. (The commands run with output to a file, so not on a tty.)
# Off a terminal stdout is block-buffered, which would reorder stdout and stderr lines; the
# commands run under `stdbuf -oL` (line-buffered, as on a terminal) where that works.
#
# One line per command ("ok"/"FAIL README.md:LINE: CMD", with the first lines of a unified diff
# of expected against actual under a FAIL), then "N passed, M failed"; exits 1 on any failure.
set -u

. "$(dirname "$0")/lib.sh"

# ---- arguments: the binary, and the README (argument, environment, or the repository's) ----

if [ $# -eq 2 ]; then
    README=$2
    set -- "$1"
fi
README=${README:-$ROOT/README.md}
case $README in
/*) README_PATH=$README ;;
*) README_PATH=$(pwd)/$README ;;
esac
if [ "$README_PATH" = "$ROOT/README.md" ]; then README_NAME=README.md; else README_NAME=$README; fi
need_bin "$@"
if [ ! -f "$README_PATH" ]; then
    echo "$0: $README: no such file" >&2
    exit 2
fi
in_scratch run_readme

# Line-buffered stdout, as on a terminal, if stdbuf exists and works with this binary (it
# preloads a library, which e.g. an AddressSanitizer build refuses).
WRAP=
if command -v stdbuf >/dev/null 2>&1 && stdbuf -oL "$BIN" --version >/dev/null 2>&1; then
    WRAP="stdbuf -oL"
fi

# "raftsim" on PATH is the binary under test.
mkdir bin
ln -s "$BIN" bin/raftsim
PATH=$WORK/bin:$PATH
export PATH

# ---- extract the examples ------------------------------------------------------------------
# For block B and its command C: ex/B/C.cmd (the command), C.line (its README line number) and
# C.exp (the expected output). A block with "$ " lines that does not start with one is listed
# in ex/malformed (its line numbers), since its leading lines could be neither command nor output.

mkdir ex
awk -v dir=ex '
function flush(   i, c, f) {
    if (n == 0) return
    if (line[1] !~ /^\$ /) {
        for (i = 1; i <= n; i++)
            if (line[i] ~ /^\$ /) { print start >> (dir "/malformed"); break }
        return
    }
    nb++
    system("mkdir -p " dir "/" nb)
    c = 0
    for (i = 1; i <= n; i++) {
        if (line[i] ~ /^\$ /) {
            if (c) close(f)
            c++
            f = dir "/" nb "/" c
            print substr(line[i], 3) > (f ".cmd"); close(f ".cmd")
            print lno[i] > (f ".line"); close(f ".line")
            printf "" > (f ".exp"); close(f ".exp")
            f = f ".exp"
        } else {
            print line[i] >> f
        }
    }
    close(f)
}
# A fence opens or closes a block; its indentation (a block inside a list item) is removed
# from the block lines.
/^[ \t]*```/ {
    if (!inblock) {
        inblock = 1; n = 0; start = NR
        match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH)
    } else if ($0 ~ /^[ \t]*```[ \t]*$/) {
        flush(); inblock = 0
    }
    next
}
inblock {
    s = $0
    if (indent != "" && substr(s, 1, length(indent)) == indent) s = substr(s, length(indent) + 1)
    n++; line[n] = s; lno[n] = NR
}
' "$README_PATH"

if [ -f ex/malformed ]; then
    while read -r l; do
        bad "$README_NAME:$l: a block with \"\$ \" commands must start with one"
    done <ex/malformed
fi

# ---- normalisation -------------------------------------------------------------------------

# normalise CMD SIDE <IN >OUT: SIDE is "expected" or "actual" (see the header for each rule).
normalise() {
    ncmd=$1
    side=$2
    # Rules that apply whatever the command.
    script='s/^(fuzz: [0-9]+ seeds in )[0-9.]+ s \([0-9]+ seeds\/s, /\1<secs> s (<rate> seeds\/s, /
s/^peak memory: [0-9.]+ MiB$/peak memory: <mem> MiB/
s/([0-9]+\.[0-9]+\.[0-9]+)-[0-9a-f]{7,40}(-dirty)?/\1-<build>/g'
    case " $ncmd " in
    *" fuzz "*)
        # Jobs from the core count: only without --jobs.
        case " $ncmd " in
        *" --jobs "*) ;;
        *) script="$script
s/(, )[0-9]+ jobs([,)])/\1<nproc> jobs\2/g" ;;
        esac
        # Seeds done before a --stop-after stop, with several workers.
        case " $ncmd " in
        *" --stop-after "*)
            case " $ncmd " in
            *" --jobs 1 "*) ;;
            *) script="$script
s/^fuzz: [0-9]+ seeds in /fuzz: <done> seeds in /
s/^[0-9]+ passed, ([0-9]+ failed)$/<passed> passed, \1/" ;;
            esac
            ;;
        esac
        # Plain progress lines, actual side only.
        if [ "$side" = actual ]; then
            script="$script
/^fuzz: [0-9]+\/[0-9]+ seeds, [0-9]+ seeds\/s, [0-9]+ failed, [0-9]+ s$/d"
        fi
        ;;
    esac
    sed -E "$script"
}

# ---- run each block's commands in order, in a directory of its own -------------------------

found=0
for bdir in $(ls ex | grep '^[0-9][0-9]*$' | sort -n); do
    run=$WORK/run-$bdir
    mkdir "$run"
    ln -s "$ROOT/scenarios" "$run/scenarios"
    ln -s "$ROOT/tests" "$run/tests"
    ln -s "$BIN" "$run/raftsim"
    for c in $(ls "ex/$bdir" | sed -n 's/\.cmd$//p' | sort -n); do
        found=$((found + 1))
        cmd=$(cat "ex/$bdir/$c.cmd")
        where="$README_NAME:$(cat "ex/$bdir/$c.line")"
        # The command, as a user would type it at the repository root.
        (cd "$run" && $WRAP sh -c "$cmd") >"$WORK/out.txt" 2>&1 </dev/null
        normalise "$cmd" expected <"ex/$bdir/$c.exp" >"$WORK/expected.txt"
        normalise "$cmd" actual <"$WORK/out.txt" >"$WORK/actual.txt"
        if cmp -s "$WORK/expected.txt" "$WORK/actual.txt"; then
            ok "$where: $cmd"
        else
            bad "$where: $cmd (output drifted)"
            diff -u "$WORK/expected.txt" "$WORK/actual.txt" |
                sed "1s|^--- .*|--- $where (README)|; 2s|^+++ .*|+++ actual|" >"$WORK/diff.txt"
            show "$WORK/diff.txt" 20
        fi
    done
done
if [ "$found" -eq 0 ]; then
    bad "$README_NAME: no examples found (fenced blocks starting with \"\$ \")"
fi

finish

# lib.sh - what the shell test scripts share: the raftsim binary argument, a scratch
# directory to run in (failing runs save traces in raftsim-traces/, never in the repository),
# and the ok/bad counters with the closing "N passed, M failed" line.
# Usage, from a script in tests/:   . "$(dirname "$0")/lib.sh"; need_bin "$@"; in_scratch NAME

ROOT=$(cd "$(dirname "$0")/.." && pwd)
pass=0
fail=0

ok() {
    pass=$((pass + 1))
    echo "ok   $1"
}

bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
}

# show FILE [LINES]: the first lines of a file, indented, under a failed check.
show() {
    sed 's/^/     /' "$1" | head -n "${2:-5}" | cut -c1-300
}

# need_bin PATH: sets BIN to the absolute path of the raftsim binary given, or exits 2.
need_bin() {
    if [ $# -ne 1 ]; then
        echo "usage: $0 path/to/raftsim" >&2
        exit 2
    fi
    case $1 in
    /*) BIN=$1 ;;
    *) BIN=$(pwd)/$1 ;;
    esac
    if [ ! -x "$BIN" ]; then
        echo "$0: $1: not an executable" >&2
        exit 2
    fi
}

# in_scratch NAME: makes WORK, a temporary directory removed at exit, and moves into it.
in_scratch() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    trap 'exit 130' INT TERM
    cd "$WORK" || exit 2
}

# finish: the closing line; the script's exit status is whether everything passed.
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

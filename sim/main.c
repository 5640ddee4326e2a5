/* main.c - the raftsim command line (SPEC section 1): run, check, replay, and help. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../raft/raft.h"
#include "bugs.h"
#include "cli.h"
#include "fuzz.h"
#include "scenario.h"
#include "sim.h"
#include "tracefile.h"
#include "util.h"

static const char usage_text[] =
    "raftsim " RAFTSIM_VERSION " - a deterministic simulator for testing Raft\n"
    "\n"
    "usage:\n"
    "  raftsim run SCENARIO.json... [--seed N] [--trace FILE] [--bug NAME] [--quiet] [--verbose]\n"
    "  raftsim check TRACE.jsonl\n"
    "  raftsim replay TRACE.jsonl [--trace FILE]\n"
    "  raftsim --help | --version\n"
    "\n"
    "run      runs each scenario with every safety invariant checked after every step, and\n"
    "         prints PASS name / FAIL name: why, then a summary line.\n"
    "         --seed N     overrides the scenarios' seeds\n"
    "         --trace F    writes the trace (JSON Lines) to F; with several scenarios F is a\n"
    "                      directory and each trace is F/NAME.trace.jsonl\n"
    "         --bug NAME   runs a deliberately broken Raft (--bug list shows them)\n"
    "         --quiet      prints failures and the summary only\n"
    "         --verbose    adds per-run figures (events, messages, commits, trace hash)\n"
    "         A failing run without --trace saves its trace under raftsim-traces/ anyway.\n"
    "check    re-checks the safety invariants from a trace file alone, and its hash.\n"
    "replay   re-runs the run a trace records and verifies it event by event; reports the\n"
    "         first divergence, and re-reports the recorded violation.\n"
    "\n"
    "exit codes: 0 all passed; 1 an expectation failed, an invariant broke or a replay\n"
    "diverged; 2 bad usage or bad input (the message names the file and the field).\n"
    "Scenario format, trace format and invariants: see README.md.\n";

int cli_usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "raftsim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'raftsim --help'.\n");
    va_end(ap);
    return 2;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return cli_usage_error("%s expects a non-negative integer", opt);
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return cli_usage_error("%s expects a non-negative integer", opt);
    *out = v;
    return 0;
}

int cli_parse_bug(const char *name, uint32_t *bits) {
    if (!strcmp(name, "list")) {
        for (unsigned i = 0; i < bug_count; i++)
            printf("%-18s %s\n", bug_catalogue[i].name, bug_catalogue[i].what);
        return 1;
    }
    const bug_info *b = bug_find(name);
    if (!b) return cli_usage_error("unknown bug '%s' (raftsim fuzz --bug list shows them)", name);
    *bits = b->bit;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("raftsim %s\n", RAFTSIM_BUILD);
        return 0;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "check")) return cmd_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "replay")) return cmd_replay(argc - 2, argv + 2);
    if (!strcmp(cmd, "fuzz")) return cmd_fuzz(argc - 2, argv + 2);
    if (!strcmp(cmd, "shrink")) return cmd_shrink(argc - 2, argv + 2);
    return cli_usage_error("unknown command '%s'", cmd);
}

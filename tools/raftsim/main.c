/* main.c - the raftsim command line (SPEC section 1): run, check, replay, fuzz, shrink, view,
 * export, and help. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "raft/raft.h"
#include "tools/raftsim/cli.h"
#include "tools/raftsim/cmd_view.h"
#include "tools/raftsim/fuzz.h"
#include "sim/raftsim.h"
#include "sim/base/util.h"

static const char usage_text[] =
    "raftsim " RAFTSIM_VERSION " - a deterministic simulator for testing Raft\n"
    "\n"
    "usage:\n"
    "  raftsim run SCENARIO.json... [--seed N] [--trace FILE] [--html FILE] [--bug NAME]\n"
    "              [--impl NAME] [--quiet] [--verbose]\n"
    "  raftsim fuzz [--seeds A..B | --count N] [--seed-base N] [--jobs J] [--out DIR]\n"
    "               [--nodes N] [--time-ms T] [--profile NAME] [--bug NAME] [--impl NAME]\n"
    "               [--shard K/N]\n"
    "               [--stop-after N] [--seed-timeout-s S] [--shrink-runs R] [--stats]\n"
    "               [--quiet]\n"
    "  raftsim replay TRACE.jsonl [--trace FILE] [--html FILE]\n"
    "  raftsim shrink TRACE.jsonl [-o MIN.json]\n"
    "  raftsim check TRACE.jsonl\n"
    "  raftsim view TRACE.jsonl [-o FILE.html]\n"
    "  raftsim export --format chrome TRACE.jsonl [-o FILE.json]\n"
    "  raftsim --help | --version | CMD --help (CMD's usage and paragraph)\n"
    "\n"
    "run      runs each scenario with every safety invariant checked after every step (and the\n"
    "         key-value history checked for linearizability at the end); prints PASS name or\n"
    "         FAIL name: why, then 'N passed, M failed'.\n"
    "         --seed N     overrides the scenarios' seeds\n"
    "         --trace F    writes the trace (JSON Lines) to F; with several scenarios F is a\n"
    "                      directory and each trace is F/NAME.trace.jsonl\n"
    "         --html F     writes the run's page (see view) to F; with several scenarios F is a\n"
    "                      directory of NAME.html\n"
    "         --bug NAME   runs a deliberately broken Raft (--bug list shows them)\n"
    "         --impl NAME  runs the nodes with that Raft implementation instead of the\n"
    "                      scenario's (\"implementation\", default builtin); --impl list shows\n"
    "                      them; fuzz takes it too. A scenario the implementation cannot run\n"
    "                      is refused with exit 2, naming the field.\n"
    "         --quiet      prints failures and the summary only\n"
    "         --verbose    adds per-run figures (events, messages, commits, trace hash, memory)\n"
    "         A failing run without --trace saves its trace under raftsim-traces/ anyway. A\n"
    "         violation is followed by a timeline: the last events that matter for it\n"
    "         (roles, votes, entries and commits at its index, crashes, partitions, the\n"
    "         operations it names), one column per node. replay and shrink print it too.\n"
    "fuzz     generates one scenario per seed (swarm: each seed draws its own fault mix and,\n"
    "         with the default profile, its cluster size 1..7 unless --nodes, and timings) and\n"
    "         runs them in --jobs worker processes (default: the number of cores); for each\n"
    "         failure writes DIR/seed-N.trace.jsonl and a shrunk DIR/seed-N.min.json (DIR:\n"
    "         --out, default fuzz-out). --count N runs seeds --seed-base (default 1) onwards;\n"
    "         --seeds A..B a range; --shard K/N every N-th seed from the K-th; --profile list\n"
    "         shows the fault mixes; --stop-after N stops after N failures; --time-ms sets the\n"
    "         simulated time per seed (default 5000, of which the last 3000 are settled and\n"
    "         must elect a leader and apply a new command where the timings let Raft promise\n"
    "         it: liveness). Each failure's page is DIR/seed-N.html, and its 'picture:' line is\n"
    "         the command that opens it. --stats ends with what the seeds exercised (cluster\n"
    "         sizes, timings, liveness checked, disks, switches, faults, message types, drops,\n"
    "         roles, load), so what was never reached shows as 0. Ctrl-C stops cleanly.\n"
    "replay   re-runs the run a trace records (scenario, seed and bug are in its header) and\n"
    "         verifies it event by event; reports the first divergence, and re-reports the\n"
    "         recorded violation. --trace F writes the new run too; --html F its page.\n"
    "shrink   reduces the failing run of a trace to a small scenario that fails the same way\n"
    "         (default output: the trace's name with .min.json).\n"
    "check    re-checks the safety invariants and the key-value history from a trace file\n"
    "         alone, and its hash.\n"
    "view     writes the trace as one self-contained HTML page (default: the trace's name with\n"
    "         .html) that any browser opens with no network: a lane per node with roles and\n"
    "         terms, crashes, pauses, messages as arrows (drops with their reason,\n"
    "         duplicates), partitions; a time cursor showing each node's log, commit index,\n"
    "         term and vote; the key-value history, a linearizability failure's operations in\n"
    "         red. A failing trace opens at the violation.\n"
    "export   --format chrome: the trace as Chrome trace-event JSON for Perfetto\n"
    "         (ui.perfetto.dev) or chrome://tracing: a process per node, roles as slices,\n"
    "         messages as flows, faults as instant events (default output: the trace's name\n"
    "         with .chrome.json; -o - writes to stdout).\n"
    "\n"
    "exit codes: 0 all passed; 1 an expectation failed, an invariant broke or a replay\n"
    "diverged; 2 bad usage or bad input (the message names the file and the field);\n"
    "fuzz: 130 when interrupted. Scenario and trace formats: see README.md.\n";

/* `raftsim CMD --help`: CMD's usage lines and its paragraph of usage_text, which stays the one
 * text of the help. */
static int command_help(const char *cmd) {
    size_t len = strlen(cmd);
    int in_usage = 0, in_text = 0;
    for (const char *line = usage_text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        int usage_start = !strncmp(line, "  raftsim ", 10) && !strncmp(line + 10, cmd, len) &&
                          line[10 + len] == ' ';
        int text_start = !strncmp(line, cmd, len) && line[len] == ' ';
        in_usage = usage_start || (in_usage && !strncmp(line, "     ", 5)); /* continued */
        in_text = text_start || (in_text && line[0] == ' ');
        if (usage_start) fputs("usage:\n", stdout);
        if (text_start) fputs("\n", stdout);
        if (in_usage || in_text) fwrite(line, 1, n, stdout);
        line += n;
    }
    fputs("\nexit codes and every command: raftsim --help\n", stdout);
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
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {{"run", cmd_run},       {"check", cmd_check}, {"replay", cmd_replay},
                    {"fuzz", cmd_fuzz},     {"shrink", cmd_shrink}, {"view", cmd_view},
                    {"export", cmd_export}};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0) continue;
        for (int a = 2; a < argc; a++)
            if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) return command_help(cmd);
        return commands[i].run(argc - 2, argv + 2);
    }
    return cli_usage_error("unknown command '%s'", cmd);
}

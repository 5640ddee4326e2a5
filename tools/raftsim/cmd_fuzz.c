/* fuzz_cmd.c - `raftsim fuzz` and `raftsim shrink`. The campaign runs seeds in worker
 * processes; a worker runs its seeds in a fixed order and reports "R seed category stats
 * reason" after each over a pipe, so a worker that dies (assert, signal, per-seed time limit)
 * is charged to the seed after the last it reported, and a fresh worker carries on with the
 * rest of its seeds. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/raftsim.h"
#include "tools/raftsim/cli.h"
#include "tools/raftsim/fuzz.h"
#include "tools/raftsim/timeline.h"
#include "tools/raftsim/view_html.h"
#include "sim/base/limits.h"
#include "sim/base/util.h"
#include <cjson/cJSON.h>

#define JOBS_MAX 256
#define CATEGORIES_MAX 32

typedef struct {
    uint64_t first, last; /* seed range, inclusive */
    uint64_t shard_k, shard_n;
    uint32_t jobs;
    const char *out_dir;
    fuzz_gen_opts gen;
    const char *bug_name;
    uint32_t bugs;
    uint64_t stop_after; /* 0: never stop early */
    uint32_t seed_timeout_s;
    uint64_t max_steps;
    uint32_t shrink_runs;
    int quiet;
    int stats; /* --stats: what the campaign exercised, at the end */
    /* Test hooks: make the worker die or hang on one seed, to test the campaign's handling. */
    int has_crash_seed, has_hang_seed;
    uint64_t crash_seed, hang_seed;
} fuzz_opts;

/* ---- what a campaign exercised (--stats) ----------------------------------------------- */

/* Per seed: cluster size, slow disk, torn writes, then the run's counters, as numbers. */
enum {
    ST_NODES,
    ST_DISK,
    ST_TORN,
    ST_PREVOTE,
    ST_CHECK_QUORUM,
    ST_NOOP,
    ST_READ_INDEX,
    ST_SNAPSHOT,
    ST_SNAPS,                 /* taken, installed, restored */
    ST_LIVENESS = ST_SNAPS + 3, /* the settled phase checks liveness */
    ST_NEAR_HB,               /* election timeout's minimum below 1.25 heartbeats */
    ST_SLOW_NETWORK,          /* delays (base network) beyond a heartbeat */
    ST_DRIFT,                 /* clocks that drift */
    ST_SENT,
    ST_DROPPED = ST_SENT + SIM_MSG_KINDS,
    ST_DUPLICATED = ST_DROPPED + SIM_DROP_KINDS,
    ST_FAULTS,
    ST_CANDIDATES = ST_FAULTS + SIM_FAULT_KINDS,
    ST_LEADERS,
    ST_SUBMITS,
    ST_KV_OPS,
    ST_DISK_FAIL, /* writes may fail (disk.fail) */
    ST_COUNT
};
#define STATS_LINE_MAX (ST_COUNT * 21 + 1)

static void stats_values(const scenario *s, const sim_result *res, uint64_t v[ST_COUNT]) {
    const sim_stats *r = &res->stats;
    v[ST_NODES] = s->nodes;
    v[ST_DISK] = s->disk_write.max_us > 0;
    v[ST_TORN] = s->torn_writes;
    v[ST_PREVOTE] = s->prevote;
    v[ST_CHECK_QUORUM] = s->check_quorum;
    v[ST_NOOP] = s->noop;
    v[ST_READ_INDEX] = s->read_index;
    v[ST_SNAPSHOT] = s->snapshot_every > 0;
    for (int i = 0; i < 3; i++) v[ST_SNAPS + i] = r->snapshots[i];
    v[ST_LIVENESS] = (uint64_t)fuzz_checks_liveness(s);
    v[ST_NEAR_HB] = 4 * s->election_timeout.min_us < 5 * s->heartbeat_us;
    v[ST_SLOW_NETWORK] = s->delay.max_us > s->heartbeat_us;
    v[ST_DRIFT] = s->clock_ppm != NULL;
    for (int i = 0; i < SIM_MSG_KINDS; i++) v[ST_SENT + i] = r->sent[i];
    for (int i = 0; i < SIM_DROP_KINDS; i++) v[ST_DROPPED + i] = r->dropped[i];
    v[ST_DUPLICATED] = r->duplicated;
    for (int i = 0; i < SIM_FAULT_KINDS; i++) v[ST_FAULTS + i] = r->faults[i];
    v[ST_CANDIDATES] = r->candidates;
    v[ST_LEADERS] = res->leaders;
    v[ST_SUBMITS] = res->submitted;
    v[ST_KV_OPS] = r->kv_ops;
    v[ST_DISK_FAIL] = s->disk_fail > 0;
}

static void stats_format(const scenario *s, const sim_result *r, char *buf, size_t cap) {
    uint64_t v[ST_COUNT];
    stats_values(s, r, v);
    rs_text t = {buf, 0, cap};
    for (int i = 0; i < ST_COUNT; i++) {
        if (i) rs_text_str(&t, " ");
        rs_text_u64(&t, v[i]);
    }
}

/* The campaign's sums: per counter the total and the seeds where it was not zero. */
typedef struct {
    uint64_t total[ST_COUNT], seeds[ST_COUNT];
    uint64_t by_size[RS_NODES_MAX + 1];
} stats_sum;

static void stats_add(stats_sum *t, const char *line) {
    uint64_t v[ST_COUNT] = {0};
    char *end;
    for (int i = 0; i < ST_COUNT; i++, line = end) v[i] = strtoull(line, &end, 10);
    for (int i = 0; i < ST_COUNT; i++) {
        t->total[i] += v[i];
        t->seeds[i] += v[i] > 0;
    }
    if (v[ST_NODES] <= RS_NODES_MAX) t->by_size[v[ST_NODES]]++;
}

static void stats_item(const stats_sum *t, const char *name, int i) {
    printf("  %s %" PRIu64 " (%" PRIu64 " seeds)", name, t->total[i], t->seeds[i]);
}

static void stats_print(const stats_sum *t, uint64_t seeds) {
    static const char *const drops[SIM_DROP_KINDS] = {"loss", "partition", "link", "down"};
    static const char *const faults[SIM_FAULT_KINDS] = {"crash", "restart", "pause",   "partition",
                                                        "link",  "network", "transfer",
                                                        "failed write"};
    printf("what the %" PRIu64 " seeds exercised (count, and seeds with at least one):\n", seeds);
    printf("cluster sizes:");
    for (uint32_t n = 1; n <= RS_NODES_MAX; n++)
        if (t->by_size[n] || n <= 7) printf(" %u nodes %" PRIu64 ";", n, t->by_size[n]);
    printf("\ntimings: election timeout under 1.25 heartbeats %" PRIu64
           " seeds, delays beyond a heartbeat %" PRIu64 " seeds, clock drift %" PRIu64
           " seeds; liveness checked %" PRIu64 " seeds",
           t->seeds[ST_NEAR_HB], t->seeds[ST_SLOW_NETWORK], t->seeds[ST_DRIFT],
           t->seeds[ST_LIVENESS]);
    printf("\ndisk: slow %" PRIu64 " seeds, torn writes %" PRIu64 " seeds, failing writes %" PRIu64
           " seeds\nswitches: no-op %" PRIu64
           " seeds, pre-vote %" PRIu64 " seeds, check-quorum %" PRIu64 " seeds, ReadIndex reads %" PRIu64
           " seeds\nfaults:",
           t->seeds[ST_DISK], t->seeds[ST_TORN], t->seeds[ST_DISK_FAIL], t->seeds[ST_NOOP],
           t->seeds[ST_PREVOTE],
           t->seeds[ST_CHECK_QUORUM], t->seeds[ST_READ_INDEX]);
    for (int i = 0; i < SIM_FAULT_KINDS; i++) stats_item(t, faults[i], ST_FAULTS + i);
    printf("\nsnapshots: on for %" PRIu64 " seeds;", t->seeds[ST_SNAPSHOT]);
    stats_item(t, "taken", ST_SNAPS);
    stats_item(t, "installed", ST_SNAPS + 1);
    stats_item(t, "restored from", ST_SNAPS + 2);
    printf("\nmessages sent:");
    for (unsigned i = 0; i < SIM_MSG_KINDS; i++)
        stats_item(t, node_msg_type_name(i), ST_SENT + (int)i);
    printf("\nmessages dropped:");
    for (int i = 0; i < SIM_DROP_KINDS; i++) stats_item(t, drops[i], ST_DROPPED + i);
    stats_item(t, "duplicated", ST_DUPLICATED);
    printf("\nroles:");
    stats_item(t, "candidate", ST_CANDIDATES);
    stats_item(t, "leader", ST_LEADERS);
    printf("\nload:");
    stats_item(t, "submits", ST_SUBMITS);
    stats_item(t, "key-value operations", ST_KV_OPS);
    printf("\n");
}

/* ---- one seed, in a worker ------------------------------------------------------------- */

/* The temporary file a worker is writing, removed if the worker is told to stop meanwhile:
 * a stopped campaign leaves whole files only. Process state of the command line, never read
 * by a run. */
static char writing_tmp[1100];

static void on_sigterm(int sig) {
    (void)sig;
    if (writing_tmp[0]) unlink(writing_tmp);
    _exit(143);
}

static FILE *open_tmp(const char *path) {
    snprintf(writing_tmp, sizeof writing_tmp, "%s.tmp", path);
    FILE *f = fopen(writing_tmp, "wb");
    if (!f) writing_tmp[0] = '\0';
    return f;
}

static void close_tmp(FILE *f, const char *path) {
    if (fclose(f) == 0)
        rename(writing_tmp, path);
    else
        unlink(writing_tmp);
    writing_tmp[0] = '\0';
}

static void write_file_atomic(const char *path, const char *text) {
    FILE *f = open_tmp(path);
    if (!f) return;
    fputs(text, f);
    close_tmp(f, path);
}

static char *pretty_json(const scenario *s);

/* Writes DIR/seed-N.html, the viewer's page of the trace just written. */
static void save_html(const fuzz_opts *o, const char *trace, uint64_t seed) {
    char path[1024];
    snprintf(path, sizeof path, "%s/seed-%" PRIu64 ".html", o->out_dir, seed);
    /* The page is written to PATH.tmp and renamed (tv_write_file): a stop meanwhile removes it. */
    snprintf(writing_tmp, sizeof writing_tmp, "%s.tmp", path);
    vh_write_file(trace, path);
    writing_tmp[0] = '\0';
}

/* Writes DIR/seed-N.trace.jsonl: the same run again, traced (same input, same run). */
static void save_trace(const fuzz_opts *o, const scenario *s, uint64_t seed) {
    char path[1024];
    snprintf(path, sizeof path, "%s/seed-%" PRIu64 ".trace.jsonl", o->out_dir, seed);
    FILE *f = open_tmp(path);
    if (!f) return;
    trace_writer tw;
    trace_open(&tw, trace_file_sink, f);
    sim_config cfg = {.scn = s,
                      .seed = seed,
                      .bugs = o->bugs,
                      .bug_name = o->bug_name,
                      .build = RAFTSIM_BUILD,
                      .trace = &tw,
                      .max_steps = o->max_steps};
    sim_result r;
    sim_run(&cfg, &r);
    close_tmp(f, path);
    save_html(o, path, seed);
}

/* The --test-crash-seed hook: the run dies part-way, as a crash inside the simulator would. */
static void test_crash_observer(void *ctx, uint64_t now_us, uint64_t steps) {
    (void)ctx;
    (void)now_us;
    if (steps >= 1024) abort();
}

/* The trace of a seed whose run killed its worker: the run again, in a child of its own whose
 * trace file is line-buffered, so the file holds every event up to the crash (the last lines
 * before it). The parent renames it into place once the child is gone. */
static void save_crash_trace(const fuzz_opts *o, uint64_t seed, char *path, size_t cap) {
    char tmp[1100];
    snprintf(path, cap, "%s/seed-%" PRIu64 ".trace.jsonl", o->out_dir, seed);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);
        alarm(o->seed_timeout_s);
        FILE *f = fopen(tmp, "wb");
        if (!f) _exit(3);
        setvbuf(f, NULL, _IOLBF, 0);
        scenario s;
        fuzz_generate(seed, &o->gen, &s);
        trace_writer tw;
        trace_open(&tw, trace_file_sink, f);
        sim_config cfg = {.scn = &s,
                          .seed = seed,
                          .bugs = o->bugs,
                          .bug_name = o->bug_name,
                          .build = RAFTSIM_BUILD,
                          .trace = &tw,
                          .max_steps = o->max_steps};
        if (o->has_crash_seed && seed == o->crash_seed)
            cfg.observe = test_crash_observer, cfg.observe_every = 256;
        sim_result r;
        sim_run(&cfg, &r);
        _exit(fclose(f) == 0 ? 0 : 3);
    }
    if (pid > 0) waitpid(pid, NULL, 0);
    if (pid < 0 || rename(tmp, path) != 0) path[0] = '\0';
}

static void save_min(const fuzz_opts *o, const scenario *s, const sim_result *r, uint64_t seed) {
    scenario min;
    shrink_opts so = {.bugs = o->bugs, .max_runs = o->shrink_runs};
    fuzz_shrink(s, r, &so, &min);
    char path[1024];
    snprintf(path, sizeof path, "%s/seed-%" PRIu64 ".min.json", o->out_dir, seed);
    char *json = pretty_json(&min);
    write_file_atomic(path, json);
    free(json);
    scn_free(&min);
}

static void category_of(const scenario *s, const sim_result *r, char *buf, size_t cap) {
    if (r->status == SIM_VIOLATION)
        snprintf(buf, cap, "%s", r->violation.invariant);
    else if (fuzz_is_liveness(s, r))
        snprintf(buf, cap, "liveness");
    else
        snprintf(buf, cap, "%s", sim_status_name(r->status));
}

static void run_seed(const fuzz_opts *o, uint64_t seed, int out_fd) {
    char line[1024];
    alarm(o->seed_timeout_s);
    if (o->has_hang_seed && seed == o->hang_seed)
        for (;;) pause();
    scenario s;
    fuzz_generate(seed, &o->gen, &s);
    sim_config cfg = {.scn = &s,
                      .seed = seed,
                      .bugs = o->bugs,
                      .build = RAFTSIM_BUILD,
                      .max_steps = o->max_steps};
    if (o->has_crash_seed && seed == o->crash_seed)
        cfg.observe = test_crash_observer, cfg.observe_every = 256;
    sim_result r;
    sim_run(&cfg, &r);
    char cat[64] = "pass";
    if (r.status != SIM_PASS) {
        category_of(&s, &r, cat, sizeof cat);
        alarm(o->seed_timeout_s * 10); /* tracing and shrinking get a budget of their own */
        save_trace(o, &s, seed);
        save_min(o, &s, &r, seed);
    }
    alarm(0);
    for (char *p = r.reason; *p; p++)
        if (*p == '\n' || *p == '\t') *p = ' ';
    char st[STATS_LINE_MAX];
    stats_format(&s, &r, st, sizeof st);
    int n = snprintf(line, sizeof line, "R %" PRIu64 "\t%s\t%s\t%s\n", seed, cat, st,
                     r.status == SIM_PASS ? "" : r.reason);
    if (n >= (int)sizeof line) n = (int)sizeof line - 1, line[n - 1] = '\n';
    scn_free(&s); /* before the report: a worker that dies after it is charged to the next seed */
    if (write(out_fd, line, (size_t)n) < 0) _exit(3);
}

/* The seeds of the campaign are first + shard_k + shard_n * i; worker w of J takes every J-th
 * of those, starting at position pos. */
static uint64_t seed_at(const fuzz_opts *o, uint64_t pos) {
    return o->first + o->shard_k + o->shard_n * pos;
}

static uint64_t seed_count(const fuzz_opts *o) {
    uint64_t span = o->last - o->first + 1;
    return span > o->shard_k ? (span - o->shard_k + o->shard_n - 1) / o->shard_n : 0;
}

#ifdef RAFTSIM_COVERAGE
void __gcov_dump(void); /* make coverage: a worker ends with _exit, which writes no counts */
#endif

static void worker_main(const fuzz_opts *o, uint64_t pos, uint32_t stride, int fd) {
    signal(SIGINT, SIG_IGN); /* the parent decides when to stop */
    struct sigaction sa = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &sa, NULL);
    uint64_t total = seed_count(o);
    for (; pos < total; pos += stride) run_seed(o, seed_at(o, pos), fd);
#ifdef RAFTSIM_COVERAGE
    __gcov_dump();
#endif
    _exit(0);
}

/* ---- the campaign, in the parent ---------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int fd;
    uint64_t next_pos; /* position of the seed this worker runs now (or next) */
    char buf[4096];
    size_t len;
} worker;

typedef struct {
    char name[64];
    uint64_t count;
    uint64_t first_seed;
} category;

typedef struct {
    const fuzz_opts *o;
    worker w[JOBS_MAX];
    uint32_t n_workers;
    uint64_t done, failed, total;
    category cats[CATEGORIES_MAX];
    uint32_t n_cats;
    stats_sum stats;
    double t0, last_progress;
    int tty;
} campaign;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void spawn(campaign *c, uint32_t i, uint64_t pos) {
    int p[2];
    if (pipe(p) != 0) {
        perror("raftsim: pipe");
        exit(2);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("raftsim: fork");
        exit(2);
    }
    if (pid == 0) {
        close(p[0]);
        for (uint32_t k = 0; k < c->n_workers; k++)
            if (k != i && c->w[k].fd >= 0) close(c->w[k].fd);
        worker_main(c->o, pos, c->n_workers, p[1]);
    }
    close(p[1]);
#ifdef F_SETPIPE_SZ
    fcntl(p[0], F_SETPIPE_SZ, 1 << 20); /* room for the reports of a 20 ms nap; best effort */
#endif
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    c->w[i] = (worker){.pid = pid, .fd = p[0], .next_pos = pos};
}

static void count_category(campaign *c, const char *name, uint64_t seed) {
    for (uint32_t i = 0; i < c->n_cats; i++)
        if (!strcmp(c->cats[i].name, name)) {
            c->cats[i].count++;
            return;
        }
    if (c->n_cats == CATEGORIES_MAX) return;
    category *k = &c->cats[c->n_cats++];
    snprintf(k->name, sizeof k->name, "%s", name);
    k->count = 1;
    k->first_seed = seed;
}

static void clear_progress(campaign *c) {
    if (c->tty) fprintf(stderr, "\r\033[K");
}

static void report_failure(campaign *c, uint64_t seed, const char *cat, const char *reason) {
    const char *dir = c->o->out_dir;
    c->failed++;
    count_category(c, cat, seed);
    clear_progress(c);
    printf("FAIL seed %" PRIu64 ": %s: %s\n", seed, cat, reason);
    printf("  reproduce: raftsim replay %s/seed-%" PRIu64 ".trace.jsonl\n", dir, seed);
    printf("  shrunk:    raftsim run %s/seed-%" PRIu64 ".min.json%s%s\n", dir, seed,
           c->o->bug_name ? " --bug " : "", c->o->bug_name ? c->o->bug_name : "");
    printf("  picture:   xdg-open %s/seed-%" PRIu64 ".html\n", dir, seed);
    fflush(stdout);
}

static void on_line(campaign *c, worker *w, char *line) {
    /* Once --stop-after is reached, what the workers reported after it (in the same read) is
     * not counted: with one job the summary then depends on the seeds alone, not on how fast
     * the parent woke up. */
    if (c->o->stop_after && c->failed >= c->o->stop_after) return;
    char *cat = strchr(line, '\t');
    char *st = cat ? strchr(cat + 1, '\t') : NULL;
    char *reason = st ? strchr(st + 1, '\t') : NULL;
    ASSERT(line[0] == 'R' && cat && st && reason);
    *cat++ = '\0';
    *st++ = '\0';
    *reason++ = '\0';
    stats_add(&c->stats, st);
    uint64_t seed = strtoull(line + 2, NULL, 10);
    ASSERT(seed == seed_at(c->o, w->next_pos));
    w->next_pos += c->n_workers;
    c->done++;
    if (strcmp(cat, "pass") != 0) report_failure(c, seed, cat, reason);
}

/* Reads what the worker's pipe holds (it is non-blocking), handling each whole line. */
static void read_worker(campaign *c, worker *w) {
    for (;;) {
        ssize_t n = read(w->fd, w->buf + w->len, sizeof w->buf - 1 - w->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            close(w->fd);
            w->fd = -1;
            return;
        }
        w->len += (size_t)n;
        char *start = w->buf, *nl;
        while ((nl = memchr(start, '\n', (size_t)(w->buf + w->len - start)))) {
            *nl = '\0';
            on_line(c, w, start);
            start = nl + 1;
        }
        w->len = (size_t)(w->buf + w->len - start);
        memmove(w->buf, start, w->len);
    }
}

/* The worker's pipe closed: it finished, or died in the middle of a seed. */
static void reap(campaign *c, uint32_t i) {
    worker *w = &c->w[i];
    int status = 0;
    waitpid(w->pid, &status, 0);
    w->pid = 0;
    if (w->next_pos >= c->total || interrupted) return; /* it ran all its seeds */
    uint64_t current = seed_at(c->o, w->next_pos);
    char reason[160], cat[32];
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        snprintf(cat, sizeof cat, "hang");
        snprintf(reason, sizeof reason, "the seed ran past the %u s wall-time limit",
                 c->o->seed_timeout_s);
    } else {
        snprintf(cat, sizeof cat, "crash");
        if (WIFSIGNALED(status))
            snprintf(reason, sizeof reason, "the worker died of signal %d (%s)", WTERMSIG(status),
                     strsignal(WTERMSIG(status)));
        else
            snprintf(reason, sizeof reason, "the worker exited with status %d",
                     WEXITSTATUS(status));
    }
    /* Keep what reproduces it: the generated scenario, and the trace up to the crash. */
    char trace[1024];
    save_crash_trace(c->o, current, trace, sizeof trace);
    scenario s;
    fuzz_generate(current, &c->o->gen, &s);
    char path[1024];
    snprintf(path, sizeof path, "%s/seed-%" PRIu64 ".json", c->o->out_dir, current);
    char *json = pretty_json(&s);
    write_file_atomic(path, json);
    free(json);
    scn_free(&s);
    c->done++;
    c->failed++;
    count_category(c, cat, current);
    clear_progress(c);
    printf("FAIL seed %" PRIu64 ": %s: %s\n  reproduce: raftsim run %s%s%s\n", current, cat,
           reason, path, c->o->bug_name ? " --bug " : "", c->o->bug_name ? c->o->bug_name : "");
    if (trace[0]) {
        save_html(c->o, trace, current);
        printf("  trace up to the crash: %s\n  picture:   xdg-open %s/seed-%" PRIu64 ".html\n",
               trace, c->o->out_dir, current);
    }
    spawn(c, i, w->next_pos + c->n_workers); /* carry on after the seed that killed it */
}

static void progress(campaign *c, int force) {
    double t = now_s();
    if (!force && t - c->last_progress < (c->tty ? 0.1 : 10.0)) return;
    c->last_progress = t;
    fflush(stdout); /* failure lines first, then the progress line */
    double el = t - c->t0;
    double rate = el > 0 ? (double)c->done / el : 0;
    if (c->tty)
        fprintf(stderr,
                "\r\033[Kfuzz: %" PRIu64 "/%" PRIu64 " seeds  %.0f seeds/s  %" PRIu64
                " failed  %02d:%02d",
                c->done, c->total, rate, c->failed, (int)el / 60, (int)el % 60);
    else
        fprintf(stderr,
                "fuzz: %" PRIu64 "/%" PRIu64 " seeds, %.0f seeds/s, %" PRIu64 " failed, %.0f s\n",
                c->done, c->total, rate, c->failed, el);
}

static int any_alive(const campaign *c) {
    for (uint32_t i = 0; i < c->n_workers; i++)
        if (c->w[i].pid) return 1;
    return 0;
}

static void event_loop(campaign *c) {
    struct pollfd pfd[JOBS_MAX];
    while (any_alive(c) && !interrupted) {
        if (c->o->stop_after && c->failed >= c->o->stop_after) break;
        uint32_t map[JOBS_MAX], n = 0;
        for (uint32_t i = 0; i < c->n_workers; i++)
            if (c->w[i].fd >= 0)
                pfd[n] = (struct pollfd){.fd = c->w[i].fd, .events = POLLIN}, map[n++] = i;
        int r = poll(pfd, n, 100);
        if (r < 0 && errno != EINTR) break;
        for (uint32_t k = 0; r > 0 && k < n; k++)
            if (pfd[k].revents) read_worker(c, &c->w[map[k]]);
        for (uint32_t i = 0; i < c->n_workers; i++)
            if (c->w[i].pid && c->w[i].fd < 0) reap(c, i);
        progress(c, 0);
        /* Reports pile up in the pipes meanwhile and are read in one go: a parent waiting in
         * poll would be woken by every one, thousands of times a second, costing the workers
         * a tenth of their time on a virtual machine. */
        if (r > 0) nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
}

static void stop_workers(campaign *c) {
    for (uint32_t i = 0; i < c->n_workers; i++)
        if (c->w[i].pid) kill(c->w[i].pid, SIGTERM);
    for (uint32_t i = 0; i < c->n_workers; i++) {
        if (c->w[i].pid) waitpid(c->w[i].pid, NULL, 0);
        if (c->w[i].fd >= 0) close(c->w[i].fd);
    }
}

static int summary(campaign *c) {
    double el = now_s() - c->t0;
    clear_progress(c);
    printf("fuzz: %" PRIu64 " seeds in %.2f s (%.0f seeds/s, %u jobs)%s, %" PRIu64 " failed",
           c->done, el, el > 0 ? (double)c->done / el : 0.0, c->n_workers,
           interrupted ? ", interrupted" : "", c->failed);
    for (uint32_t i = 0; i < c->n_cats; i++)
        printf("%s %s %" PRIu64 " (first seed %" PRIu64 ")", i ? "," : ":", c->cats[i].name,
               c->cats[i].count, c->cats[i].first_seed);
    printf("\n");
    if (c->o->stats) stats_print(&c->stats, c->done);
    printf("%" PRIu64 " passed, %" PRIu64 " failed\n", c->done - c->failed, c->failed);
    if (c->failed) printf("failures are in %s/\n", c->o->out_dir);
    if (interrupted) return 130;
    return c->failed ? 1 : 0;
}

static int run_campaign(const fuzz_opts *o) {
    /* Failures must never lose their files: the output directory is checked first. */
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "raftsim: cannot create %s: %s\n", o->out_dir, strerror(errno));
        return 2;
    }
    if (access(o->out_dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "raftsim: cannot write into %s: %s\n", o->out_dir, strerror(errno));
        return 2;
    }
    campaign c = {.o = o, .total = seed_count(o), .t0 = now_s(), .tty = isatty(2)};
    c.last_progress = c.t0;
    struct sigaction sa = {.sa_handler = on_sigint};
    sigaction(SIGINT, &sa, NULL);
    c.n_workers = o->jobs;
    if (c.n_workers > c.total) c.n_workers = c.total ? (uint32_t)c.total : 1;
    for (uint32_t i = 0; i < c.n_workers; i++) c.w[i].fd = -1;
    if (!o->quiet) {
        printf("fuzz: seeds %" PRIu64 "..%" PRIu64, o->first, o->last);
        if (o->shard_n > 1) printf(" shard %" PRIu64 "/%" PRIu64, o->shard_k, o->shard_n);
        printf(" (%" PRIu64 " seeds), profile %s, %u jobs%s%s, out %s/\n", c.total, o->gen.profile,
               c.n_workers, o->bug_name ? ", bug " : "", o->bug_name ? o->bug_name : "",
               o->out_dir);
        fflush(stdout);
    }
    for (uint32_t i = 0; i < c.n_workers; i++) spawn(&c, i, i);
    event_loop(&c);
    stop_workers(&c);
    return summary(&c);
}

/* ---- options ------------------------------------------------------------------------------ */

static char *pretty_json(const scenario *s) {
    char *compact = scn_to_json(s);
    cJSON *tree = cJSON_Parse(compact);
    ASSERT(tree);
    char *pretty = cJSON_Print(tree);
    cJSON_Delete(tree);
    free(compact);
    size_t n = strlen(pretty);
    pretty = rs_xrealloc(pretty, n + 2);
    pretty[n] = '\n';
    pretty[n + 1] = '\0';
    return pretty;
}

static int parse_range(const char *s, uint64_t *a, uint64_t *b) {
    const char *dots = strstr(s, "..");
    if (!dots) return cli_usage_error("--seeds expects A..B, e.g. 1..1000 (got '%s')", s);
    char left[32];
    size_t n = (size_t)(dots - s);
    if (n == 0 || n >= sizeof left) return cli_usage_error("--seeds expects A..B (got '%s')", s);
    memcpy(left, s, n);
    left[n] = '\0';
    if (cli_parse_u64("--seeds", left, a) || cli_parse_u64("--seeds", dots + 2, b)) return 2;
    if (*a > *b) return cli_usage_error("--seeds %s: A must not exceed B", s);
    return 0;
}

static int parse_shard(const char *s, uint64_t *k, uint64_t *n) {
    const char *slash = s ? strchr(s, '/') : NULL;
    char left[32];
    if (!slash || slash == s || (size_t)(slash - s) >= sizeof left)
        return cli_usage_error("--shard expects K/N, e.g. 0/4 (got '%s')", s ? s : "");
    memcpy(left, s, (size_t)(slash - s));
    left[slash - s] = '\0';
    if (cli_parse_u64("--shard", left, k) || cli_parse_u64("--shard", slash + 1, n)) return 2;
    if (*n == 0 || *k >= *n) return cli_usage_error("--shard %s: needs 0 <= K < N", s);
    return 0;
}

typedef struct {
    int has_seeds, has_count;
    uint64_t count, base;
} seed_args;

static int parse_value_opt(const char *a, const char *v, fuzz_opts *o, seed_args *sa) {
    uint64_t x;
    if (!strcmp(a, "--seeds")) return sa->has_seeds = 1, parse_range(v, &o->first, &o->last);
    if (!strcmp(a, "--count")) return sa->has_count = 1, cli_parse_u64(a, v, &sa->count);
    if (!strcmp(a, "--seed-base")) return cli_parse_u64(a, v, &sa->base);
    if (!strcmp(a, "--out")) return o->out_dir = v, 0;
    if (!strcmp(a, "--shard")) return parse_shard(v, &o->shard_k, &o->shard_n);
    if (!strcmp(a, "--stop-after")) return cli_parse_u64(a, v, &o->stop_after);
    if (!strcmp(a, "--profile")) {
        if (!strcmp(v, "list")) {
            for (unsigned i = 0; i < fuzz_profile_count; i++)
                printf("%-11s %s\n", fuzz_profiles[i].name, fuzz_profiles[i].what);
            return -1;
        }
        if (!fuzz_profile_valid(v))
            return cli_usage_error("unknown profile '%s' (--profile list)", v);
        return o->gen.profile = v, 0;
    }
    if (!strcmp(a, "--impl")) {
        int rc = cli_parse_impl(v, &o->gen.impl);
        return rc == 1 ? -1 : rc;
    }
    if (!strcmp(a, "--bug")) {
        int rc = cli_parse_bug(v, &o->bugs);
        if (rc == 1) return -1;
        return rc ? rc : (o->bug_name = v, 0);
    }
    if (cli_parse_u64(a, v, &x)) return 2;
    if (!strcmp(a, "--jobs")) {
        if (x < 1 || x > JOBS_MAX) return cli_usage_error("--jobs must be in 1..%d", JOBS_MAX);
        return o->jobs = (uint32_t)x, 0;
    }
    if (!strcmp(a, "--nodes")) {
        if (x < 1 || x > 255) return cli_usage_error("%s", "--nodes must be in 1..255");
        return o->gen.nodes = (uint32_t)x, 0;
    }
    if (!strcmp(a, "--time-ms")) {
        if (x < FUZZ_SETTLE_MS + 500 || x > 3600000)
            return cli_usage_error("--time-ms must be in %d..3600000 (the last %d ms are the "
                                   "settled phase)",
                                   FUZZ_SETTLE_MS + 500, FUZZ_SETTLE_MS);
        return o->gen.time_ms = x, 0;
    }
    if (!strcmp(a, "--seed-timeout-s")) return o->seed_timeout_s = x ? (uint32_t)x : 1, 0;
    if (!strcmp(a, "--shrink-runs")) return o->shrink_runs = (uint32_t)x, 0;
    if (!strcmp(a, "--test-crash-seed")) return o->has_crash_seed = 1, o->crash_seed = x, 0;
    if (!strcmp(a, "--test-hang-seed")) return o->has_hang_seed = 1, o->hang_seed = x, 0;
    return cli_usage_error("unknown option '%s'", a);
}

static int parse_fuzz_args(int argc, char **argv, fuzz_opts *o) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (fuzz_opts){.shard_n = 1,
                     .jobs = ncpu > 0 ? (uint32_t)ncpu : 1,
                     .out_dir = "fuzz-out",
                     .gen = {.profile = "default", .time_ms = FUZZ_TIME_MS_DEFAULT},
                     .seed_timeout_s = 60,
                     .max_steps = 50000000,
                     .shrink_runs = 400};
    seed_args sa = {.count = 1000, .base = 1};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (!strcmp(argv[i], "--stats")) {
            o->stats = 1;
            continue;
        }
        if (argv[i][0] != '-') return cli_usage_error("unexpected argument '%s'", argv[i]);
        if (i + 1 >= argc) return cli_usage_error("%s needs a value", argv[i]);
        int rc = parse_value_opt(argv[i], argv[i + 1], o, &sa);
        if (rc) return rc;
        i++;
    }
    if (sa.has_seeds && sa.has_count)
        return cli_usage_error("%s", "give --seeds A..B or --count N, not both");
    if (!sa.has_seeds) {
        if (sa.count == 0) return cli_usage_error("%s", "--count must be at least 1");
        o->first = sa.base;
        o->last = sa.base + sa.count - 1;
    }
    /* A bug the implementation lacks is refused before any seed runs (exit 2). */
    scenario probe;
    fuzz_generate(o->first, &o->gen, &probe);
    char why[512];
    int refused = sim_refusal(&probe, o->bugs, why, sizeof why);
    scn_free(&probe);
    return refused ? cli_usage_error("%s", why) : 0;
}

int cmd_fuzz(int argc, char **argv) {
    fuzz_opts o;
    int rc = parse_fuzz_args(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    return run_campaign(&o);
}

/* ---- shrink ------------------------------------------------------------------------------- */

static void default_min_path(const char *trace, char *buf, size_t cap) {
    size_t n = strlen(trace);
    static const char suffix[] = ".trace.jsonl";
    size_t k = sizeof suffix - 1;
    if (n > k && !strcmp(trace + n - k, suffix))
        snprintf(buf, cap, "%.*s.min.json", (int)(n - k), trace);
    else
        snprintf(buf, cap, "%s.min.json", trace);
}

/* The shrunk run's timeline: the scenario run once more, its trace kept in memory. */
static void print_min_timeline(const scenario *min, uint32_t bugs, const char *bug_name) {
    cli_membuf mem = {0};
    trace_writer tw;
    trace_open(&tw, cli_membuf_sink, &mem);
    sim_config cfg = {.scn = min,
                      .seed = min->seed,
                      .bugs = bugs,
                      .bug_name = bug_name,
                      .build = RAFTSIM_BUILD,
                      .trace = &tw};
    sim_result r;
    sim_run(&cfg, &r);
    if (r.status == SIM_VIOLATION)
        tl_print_data(stdout, "the shrunk run", mem.data, mem.len);
    else
        free(mem.data);
}

int cmd_shrink(int argc, char **argv) {
    const char *path, *out;
    int rc = cli_trace_args(argc, argv, "shrink", "-o", &path, &out, NULL, NULL);
    if (rc) return rc;
    tracefile tf;
    uint32_t bugs;
    if (cli_load_trace(path, &tf, &bugs)) return 2;
    sim_config cfg = {.scn = &tf.scn, .seed = tf.seed, .bugs = bugs, .build = RAFTSIM_BUILD};
    sim_result r;
    sim_run(&cfg, &r);
    if (r.status == SIM_PASS) {
        fprintf(stderr, "raftsim: %s: the run passes: nothing to shrink\n", path);
        tracefile_free(&tf);
        return 2;
    }
    scenario min;
    shrink_opts so = {.bugs = bugs, .max_runs = 3000};
    uint32_t runs = fuzz_shrink(&tf.scn, &r, &so, &min);
    char def[1100];
    if (!out) default_min_path(path, def, sizeof def), out = def;
    char *json = pretty_json(&min);
    write_file_atomic(out, json);
    free(json);
    printf("shrunk %s (%s) in %u runs: %u -> %u events, %u -> %u nodes, %.0f -> %.0f ms\n", path,
           r.status == SIM_VIOLATION ? r.violation.invariant : sim_status_name(r.status), runs,
           tf.scn.n_events, min.n_events, tf.scn.nodes, min.nodes, (double)tf.scn.run_us / 1000,
           (double)min.run_us / 1000);
    printf("wrote %s\n  run it: raftsim run %s%s%s\n", out, out, tf.bug ? " --bug " : "",
           tf.bug ? tf.bug : "");
    print_min_timeline(&min, bugs, tf.bug);
    scn_free(&min);
    tracefile_free(&tf);
    return 0;
}

/* timeline.c - the terminal timeline under a failure: the last events that matter for it, one
 * row each, in one column per node involved (tview.c chooses the events). */
#include "tools/raftsim/timeline.h"

#include <inttypes.h>
#include <string.h>

#include "sim/base/util.h"

#define TL_EVENTS_MAX 20
#define TL_COLUMNS_MAX 8
#define TL_WIDTH 14 /* a column, its separating space included; longer text shifts the row */

typedef struct {
    uint8_t node[TL_COLUMNS_MAX];
    int n;
    int clients; /* a last column for the key-value clients */
} columns;

static int column_of(const columns *c, uint8_t node) {
    for (int i = 0; i < c->n; i++)
        if (c->node[i] == node) return i;
    return -1;
}

static void add_column(columns *c, uint8_t node) {
    if (node == 0 || column_of(c, node) >= 0 || c->n == TL_COLUMNS_MAX) return;
    int i = c->n++;
    while (i > 0 && c->node[i - 1] > node) c->node[i] = c->node[i - 1], i--;
    c->node[i] = node;
}

static void print_row(FILE *out, const columns *c, uint64_t t_us, int col, const char *text) {
    char line[400];
    size_t o = (size_t)snprintf(line, sizeof line, "  %11.3f ", (double)t_us / 1000.0);
    int last = c->n + c->clients - 1;
    for (int i = 0; i <= last && o < sizeof line; i++)
        o += (size_t)snprintf(line + o, sizeof line - o, " %-*.80s", TL_WIDTH - 1,
                              i == col ? text : "|");
    if (o >= sizeof line) o = sizeof line - 1;
    while (o > 0 && line[o - 1] == ' ') o--;
    line[o] = '\0';
    fprintf(out, "%s\n", line);
}

/* A row across every column: partitions, heals, the violation. */
static void print_wide(FILE *out, uint64_t t_us, const char *text) {
    fprintf(out, "  %11.3f  -- %.100s\n", (double)t_us / 1000.0, text);
}

void tl_print(FILE *out, const tv_model *m) {
    size_t idx[TL_EVENTS_MAX];
    size_t n = tv_relevant(m, idx, TL_EVENTS_MAX);
    if (n == 0) return;
    columns c = {.n = 0};
    add_column(&c, (uint8_t)m->v_node);
    add_column(&c, (uint8_t)m->v_other);
    for (size_t i = 0; i < n; i++) {
        const tv_event *e = &m->ev[idx[i]];
        if (e->kind != TV_LINK) add_column(&c, e->node);
        if (e->kind == TV_INVOKE || e->kind == TV_RETURN) c.clients = 1;
    }
    fprintf(out, "  timeline: the last %zu events that matter", n);
    if (m->has_violation && m->v_index)
        fprintf(out, " (entries and commits at index %" PRIu64 ")", m->v_index);
    fprintf(out, ", one column per node:\n  %11s ", "time ms");
    for (int i = 0; i < c.n; i++) {
        char h[8];
        snprintf(h, sizeof h, "n%u", c.node[i]);
        fprintf(out, i + 1 < c.n || c.clients ? " %-*s" : " %.*s", TL_WIDTH - 1, h);
    }
    if (c.clients) fprintf(out, " clients");
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        const tv_event *e = &m->ev[idx[i]];
        char text[200];
        tv_event_text(m, e, text, sizeof text);
        int col = e->kind == TV_INVOKE || e->kind == TV_RETURN ? c.n : column_of(&c, e->node);
        int wide = e->kind == TV_PARTITION || e->kind == TV_HEAL || e->kind == TV_LINK ||
                   e->kind == TV_NETWORK || e->kind == TV_VIOLATION || e->kind == TV_EXPECT;
        if (wide) {
            if (e->kind == TV_VIOLATION && m->v_node) {
                char more[300];
                snprintf(more, sizeof more,
                         "%s (node %" PRIu64 ", term %" PRIu64 ", index %" PRIu64 ")", text,
                         m->v_node, m->v_term, m->v_index);
                print_wide(out, e->t_us, more);
            } else {
                print_wide(out, e->t_us, text);
            }
        } else if (col >= 0) {
            print_row(out, &c, e->t_us, col, text);
        }
    }
}

static void print_loaded(FILE *out, tracefile *tf) {
    tv_model m;
    char err[1024];
    if (tv_build(tf, &m, err, sizeof err) == 0) tl_print(out, &m);
    tv_free(&m);
}

void tl_print_file(FILE *out, const char *path) {
    tracefile tf;
    char err[1024];
    if (tracefile_load(path, &tf, err, sizeof err) == 0) print_loaded(out, &tf);
    tracefile_free(&tf);
}

void tl_print_data(FILE *out, const char *origin, char *data, size_t size) {
    tracefile tf;
    char err[1024];
    if (tracefile_parse(origin, data, size, &tf, err, sizeof err) == 0) print_loaded(out, &tf);
    tracefile_free(&tf);
}

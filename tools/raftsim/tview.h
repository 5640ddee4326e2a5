/* tview.h - a trace read into the shapes its pictures need (the browser viewer, the Chrome
 * trace-event export and the terminal timeline): role spans per node, down spans, one record
 * per message copy from send to its fate, the state events in order, and the key-value
 * history with the operations a linearizability failure names. Built from the trace alone. */
#ifndef RAFTSIM_TVIEW_H
#define RAFTSIM_TVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/raftsim.h"

enum { TV_FOLLOWER, TV_CANDIDATE, TV_LEADER };

/* What became of one copy of a message. A drop's reason is one of the engine's four; a copy
 * still travelling when the run ended is in flight. */
enum { TV_DELIVERED, TV_LOSS, TV_CUT, TV_LINK_DOWN, TV_DOWN, TV_INFLIGHT, TV_FATES };
extern const char *const tv_fate_names[TV_FATES];

/* State and fault events, in trace order (messages and timer ticks are elsewhere or left out). */
typedef enum {
    TV_APPEND,   /* a: index, b: term; text: the command */
    TV_TRUNCATE, /* a: from */
    TV_COMMIT,   /* a: index */
    TV_ROLE,     /* a: term, b: role */
    TV_VOTE,     /* a: term, b: for */
    TV_CRASH,
    TV_RESTART,
    TV_PAUSE,
    TV_RESUME,
    TV_TIMEOUT,
    TV_SNAPSHOT, /* a: index, b: term */
    TV_RESTORE,  /* a: term, b: vote; text: the durable log's last index and the first changed */
    TV_SUBMIT,   /* text: the command; b: accepted */
    TV_EXPECT,   /* a: scenario event index, b: ok; text: why it failed */
    TV_SKIP,
    TV_PARTITION, /* text: groups, as JSON */
    TV_HEAL,
    TV_LINK,      /* a: from, b: to; text: what changed */
    TV_NETWORK,   /* text: what changed */
    TV_VIOLATION, /* text: the detail */
    TV_INVOKE,    /* a: client, b: op id */
    TV_RETURN,    /* a: client, b: op id */
    TV_KINDS
} tv_kind;
extern const char *const tv_kind_names[TV_KINDS];

typedef struct {
    uint64_t t_us, seq, a, b;
    uint32_t text; /* index into strings; 0: none */
    uint8_t node;  /* 0: not a node's event */
    uint8_t kind;
} tv_event;

typedef struct {
    uint64_t t0_us, t1_us, term;
    uint8_t node, role;
} tv_span;

typedef struct {
    uint64_t t0_us, t1_us;
    uint8_t node, paused; /* crashed, or paused */
} tv_down;

#define TV_MSG_TYPES_MAX 64

typedef struct {
    uint64_t t_send_us, t_end_us, id, seq;
    uint16_t type; /* index into msg_types */
    uint8_t from, to, fate;
    uint8_t dup;   /* a second copy (the network duplicated the message) */
    uint8_t empty; /* an AppendEntries carrying no entries (a heartbeat or a probe) */
} tv_msg;

typedef struct {
    uint64_t client, op_id, t_invoke_us, t_return_us;
    int returned;
    uint32_t what;    /* string: "put(x, \"1\")" */
    uint32_t outcome; /* string: "ok", "fail", "unknown", or "-> \"1\"" for a read */
    int culprit;      /* named by the linearizability failure */
} tv_op;

typedef struct {
    const char *path;
    char *name, *bug, *impl;
    uint64_t seed;
    uint32_t nodes; /* lanes: the scenario's nodes (an event naming another is refused) */
    uint64_t end_us, n_events;
    int has_end;
    char *result; /* the end line's result, or "cut off" */
    char *reason; /* the end line's reason (expect_failed, limit), or NULL */
    /* The violation, if the trace records one. */
    int has_violation;
    uint64_t v_seq, v_t_us, v_node, v_other, v_term, v_index;
    char *v_invariant, *v_detail;
    /* The failing expectation, if any: its trace position. */
    int has_failed_expect;
    uint64_t fx_seq, fx_t_us;

    tv_event *ev;
    size_t n_ev, cap_ev;
    tv_span *spans;
    size_t n_spans, cap_spans;
    tv_down *downs;
    size_t n_downs, cap_downs;
    tv_msg *msgs; /* sorted by send time, then trace order */
    size_t n_msgs, cap_msgs;
    tv_op *ops;
    size_t n_ops, cap_ops;
    char **strings; /* strings[0] is "" */
    size_t n_strings, cap_strings;
    char **msg_types;
    size_t n_msg_types;
} tv_model;

/* Reads a loaded trace into m. 0, or -1 with err "FILE: line N: why" on a line that lacks what
 * its kind needs. Either way m is the caller's to release with tv_free. */
int tv_build(const tracefile *tf, tv_model *m, char *err, size_t err_len);
/* Loads the file and builds the model: 0, or 2 after printing the error to stderr. */
int tv_load(const char *path, tv_model *m);
void tv_free(tv_model *m);
/* Writes the model with write (vh_write, ec_write) to path under a temporary name, renamed when
 * complete; "-" is stdout. 0, or 2 after printing the error. */
int tv_write_file(const tv_model *m, const char *path, int (*write)(FILE *, const tv_model *));

/* The events that matter for the violation (role changes, votes, appends and truncations at
 * the index involved, commits reaching it, crashes, partitions, the culprit operations), at
 * most max, the last ones before it. Fills idx with indices into m->ev; returns the count. */
size_t tv_relevant(const tv_model *m, size_t *idx, size_t max);
/* One event as a short phrase for a node's column ("leader t3", "votes 2 t3"). */
void tv_event_text(const tv_model *m, const tv_event *e, char *buf, size_t cap);

#endif

/* scenario.h - the scenario model of SPEC section 2: load and validate JSON, write it back. */
#ifndef RAFTSIM_SCENARIO_H
#define RAFTSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* A node reference: an id 1..nodes, or one of these, resolved when its event runs. */
typedef int16_t scn_ref;
#define SCN_REF_NONE 0
#define SCN_REF_LEADER (-1)   /* leader in the highest term among live nodes */
#define SCN_REF_FOLLOWER (-2) /* lowest-numbered live node that is not that leader */
#define SCN_REF_CRASHED (-3)  /* most recently crashed node still down */

/* Values of scn_expect.leader besides an id. */
#define SCN_LEADER_ANY (-1)
#define SCN_LEADER_NONE (-2)

typedef enum {
    SCN_DO_CRASH,
    SCN_DO_RESTART,
    SCN_DO_PAUSE,
    SCN_DO_RESUME,
    SCN_DO_PARTITION,
    SCN_DO_HEAL,
    SCN_DO_LINK,
    SCN_DO_NETWORK,
    SCN_DO_SUBMIT,
    SCN_DO_KV,
    SCN_DO_TRANSFER,
    SCN_DO_FAIL_WRITES, /* raftsim's: the node's next `count` write batches fail */
    SCN_DO_DISK,        /* raftsim's: disk.fail changes from now on (`fail`) */
    SCN_DO_ADD,    /* SPEC section 8: node (a spare id) joins the cluster */
    SCN_DO_REMOVE, /* SPEC section 8: node leaves it */
    SCN_EXPECT,
    SCN_KIND_COUNT
} scn_kind;

typedef enum { SCN_ROLE_FOLLOWER, SCN_ROLE_CANDIDATE, SCN_ROLE_LEADER } scn_role;
typedef enum { SCN_KV_PUT, SCN_KV_GET, SCN_KV_APPEND, SCN_KV_CAS } scn_kv_op;

typedef struct {
    uint64_t min_us;
    uint64_t max_us;
} scn_range;

/* An expectation's condition: every field whose has_ flag is set must hold. */
typedef struct {
    uint8_t has_leader;
    int16_t leader; /* an id, SCN_LEADER_ANY or SCN_LEADER_NONE */
    uint8_t has_leader_not;
    uint8_t leader_not;
    uint8_t has_term_at_most, has_term_at_least;
    uint64_t term_at_most, term_at_least;
    uint8_t has_committed_at_least, has_committed_at_most;
    uint64_t committed_at_least, committed_at_most;
    uint32_t n_on; /* 0: all live nodes; else the committed_* checks look only at these */
    scn_ref *on;
    uint8_t has_logs_match; /* the JSON value must be true */
    uint8_t has_role;
    scn_ref role_node;
    scn_role role_is;
    char *applied_cmd; /* extension: every live node (or `on`) applied this command; NULL: unset */
    uint8_t has_leaders;
    uint32_t leaders; /* extension: exactly this many live nodes are in the leader role, any term */
    uint8_t has_kv;
    char *kv_key;
    char *kv_value; /* NULL: the key must be absent ("value": null) */
    /* SPEC section 8: the leader's committed configuration has exactly these voters (a bit set
     * over ids, bit i of members[i / 64]). */
    uint8_t has_members;
    uint64_t members[4];
} scn_expect;

typedef struct {
    uint64_t at_us;
    scn_kind kind;
    uint8_t has_within; /* expectations only */
    uint8_t optional;   /* extension: a reference that names no node skips the event */
    uint64_t within_us;
    scn_ref node; /* crash, restart, pause, resume, submit, add (an id), remove */
    /* partition: n_groups lists of references */
    uint32_t n_groups;
    uint32_t *group_len;
    scn_ref **groups;
    /* link: one direction from -> to */
    scn_ref from, to;
    uint8_t has_up, up;
    /* link and network */
    uint8_t has_drop_rate, has_delay, has_duplicate_rate;
    double drop_rate, duplicate_rate;
    scn_range delay;
    /* submit: command, or (command == NULL) count generated commands */
    char *command;
    uint32_t count;
    /* kv */
    uint32_t client;
    scn_kv_op kv_op;
    char *key;
    char *value;      /* put, append, cas: the new value */
    char *from_value; /* cas: the expected old value */
    /* disk: the new disk.fail rate (fail_writes takes node and count) */
    double fail;
    scn_expect expect;
} scn_event;

typedef struct {
    uint64_t term;
    char *cmd; /* always set; "<index>:<term>" when the file gave a bare term */
} scn_entry;

typedef struct {
    uint8_t node;
    uint64_t term;
    uint8_t voted_for; /* 0: none */
    uint32_t n_log;
    scn_entry *log; /* log[0] is index 1 */
} scn_initial;

typedef struct {
    char *name;
    char *description;
    char *implementation; /* SPEC section 6: NULL means "builtin" */
    /* "implementations": the ones the scenario is written for, bit i for node_impls[i]; 0 for
     * every one. Running it on another is refused (exit 2). */
    uint32_t impl_mask;
    uint64_t seed;
    uint32_t nodes;
    scn_range election_timeout;
    uint64_t heartbeat_us;
    uint8_t prevote; /* SPEC section 8: a pre-vote round before a real election */
    uint8_t check_quorum; /* SPEC section 8: a leader without a majority's contact steps down */
    uint8_t noop;         /* SPEC section 8: a new leader appends an entry of its term at once */
    uint8_t read_index;   /* SPEC section 8 cluster.reads: 0 "log", 1 "read_index" */
    /* SPEC section 8 cluster.snapshot: a snapshot after every `every` applied entries (0: no
     * snapshots), keeping `trailing` entries behind it. */
    uint32_t snapshot_every, snapshot_trailing;
    /* "clock_drift" (raftsim's): how fast each node's clock runs, in millionths of real time
     * ([1..nodes]; 1000000 is true time, 1100000 a clock 10% fast whose timers fire early);
     * NULL: every clock true. */
    uint32_t *clock_ppm;
    scn_range delay;
    double drop_rate;
    double duplicate_rate;
    /* "disk" (SPEC section 7): how long a persistent write takes, and whether a crash may
     * keep a prefix of the entries of the write in progress. [0, 0]: writes complete at once. */
    scn_range disk_write;
    uint8_t torn_writes;
    /* "disk.fail" (raftsim's): the probability that a persistent write batch fails; the node
     * is told, and must not count on it (0: writes never fail, v2's behaviour). */
    double disk_fail;
    uint64_t run_us;
    uint32_t n_initial;
    scn_initial *initial;
    uint32_t n_events;
    scn_event *events;
} scenario;

/* Loads and validates a scenario file. On error returns -1 and writes into err a message
 * "FILE: JSON.PATH: what was expected", e.g. "x.json: events[3].at_ms: expected a
 * non-negative number"; *out is then empty. A missing name defaults to the file's basename
 * without ".json". */
int scn_load_file(const char *path, scenario *out, char *err, size_t err_len);

/* The same from a parsed JSON object; origin names it in errors (a file, or "t.jsonl: header"),
 * path_prefix is prepended to JSON paths ("" or "scenario."). */
int scn_load_json(const struct cJSON *root, const char *origin, const char *path_prefix,
                  const char *default_name, scenario *out, char *err, size_t err_len);

/* The scenario as a compact JSON object with every default filled in; loading the result
 * gives back an equal scenario. The caller frees the string with free(). */
char *scn_to_json(const scenario *s);

/* Frees what a scenario owns and zeroes it; safe on a zeroed scenario. */
void scn_free(scenario *s);

/* Deep copy (used by shrink and fuzz to derive variants). */
void scn_copy(scenario *dst, const scenario *src);

/* One event's storage: free it, or deep-copy it (dst owns nothing before). */
void scn_event_free(scn_event *e);
void scn_event_copy(scn_event *dst, const scn_event *src);

const char *scn_kind_name(scn_kind kind);
/* The highest node id a run may see: nodes, or a higher (spare) id an add event names. */
uint32_t scn_id_space(const scenario *s);
/* "put", "get", "append", "cas"; parse gives the scn_kv_op, or -1 for another name. */
const char *scn_kv_op_name(scn_kv_op op);
int scn_kv_op_parse(const char *name);

#endif

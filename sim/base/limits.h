/* limits.h - every size limit of raftsim in one place, with the relations between them. */
#ifndef RAFTSIM_LIMITS_H
#define RAFTSIM_LIMITS_H

/* Node ids are 1..RS_NODES_MAX and travel in a uint8_t (SPEC section 2: nodes in 1..255). */
#define RS_NODES_MAX 255

/* Entries carried by one AppendEntries message; bounds message size and catch-up burst. */
#define RS_AE_ENTRIES_MAX 64

/* Scenario events per file; a larger file is refused as bad input. */
#define RS_EVENTS_MAX 1000000

/* Entries in one node's initial log. */
#define RS_INITIAL_LOG_MAX 1000000

/* Bytes in one client command (a submit's "command" string). */
#define RS_CMD_LEN_MAX 256

/* Per-run caps: a run that hits one stops with a clear failure ("limit") instead of an OOM or
 * a hang. Memory follows from them: about 16 bytes per log entry a node holds (32 with its
 * array's growth slack; snapshots compact it), 16 per committed entry for the checker (its
 * per-node shadows keep only what is not known committed), and 100 bytes per queued event or
 * message in flight, so the caps below keep a run under roughly 3 GiB. */
#define RS_RUN_EVENTS_MAX 200000000ull
#define RS_LOG_ENTRIES_MAX 20000000u    /* in one node's log */
#define RS_RUN_ENTRIES_MAX 100000000ull /* appended by all nodes together, over the run */
#define RS_QUEUE_MAX 2000000u          /* events queued at once (messages in flight...) */

/* Longest run: 10^6 simulated seconds, in microseconds; keeps every time sum far from overflow. */
#define RS_RUN_US_MAX (1000000ull * 1000000ull)

/* Depth of nested JSON accepted by the loaders (cJSON itself stops at 1000). */
#define RS_JSON_DEPTH_MAX 64

_Static_assert(RS_NODES_MAX <= 255, "node ids must fit a uint8_t");
_Static_assert(RS_AE_ENTRIES_MAX >= 1, "AppendEntries must carry at least one entry");
_Static_assert(RS_RUN_US_MAX < (1ull << 62), "time sums must not overflow uint64");
_Static_assert(RS_LOG_ENTRIES_MAX <= RS_RUN_ENTRIES_MAX, "one log fits in the run's budget");
_Static_assert(RS_LOG_ENTRIES_MAX < (1u << 31), "log indices stay far from uint32 overflow");

#endif

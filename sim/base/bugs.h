/* bugs.h - the catalogue of injected bugs (SPEC section 5): names, bits, descriptions. */
#ifndef RAFTSIM_BUGS_H
#define RAFTSIM_BUGS_H

#include <stdint.h>

/* Bugs of the key-value layer (sim/kv/clients.c); bits above those of raft_bug. */
#define BUG_STALE_READ (1u << 16)
#define BUG_DUP_APPLY (1u << 17)
/* A bug of the built-in node's persistence, enforced by the engine's disk (sim/engine/disk.c):
 * votes and AppendEntries successes leave before the writes they depend on are durable. */
#define BUG_ACK_BEFORE_PERSIST (1u << 18)
/* The bugs that belong to the key-value layer, which every implementation runs under. */
#define BUGS_OF_KV (BUG_STALE_READ | BUG_DUP_APPLY)

typedef struct {
    const char *name;
    uint32_t bit; /* raft_bug */
    const char *what;
} bug_info;

extern const bug_info bug_catalogue[];
extern const unsigned bug_count;

/* The entry for a name, or NULL. */
const bug_info *bug_find(const char *name);

#endif

/* kvstore.h - the replicated key-value state machine: what every node applies from its log.
 * put, get, append and cas on string keys, with client sessions (client id + sequence number)
 * so that a command retried and committed twice takes effect once (Raft thesis, 6.3). Pure:
 * no clock, no IO. */
#ifndef RAFTSIM_KVSTORE_H
#define RAFTSIM_KVSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"

typedef struct {
    uint32_t client; /* dense client number, from 0 */
    uint64_t seq;    /* the client's operation number, from 1 */
    scn_kv_op kind;
    const char *key;
    const char *value; /* put, append, cas */
    const char *from;  /* cas */
} kv_op;

typedef struct {
    int ok;            /* 0: a cas whose expected value did not match (no effect) */
    const char *value; /* get: the value read, NULL when absent; valid until the next apply */
    int duplicate;     /* the session had already applied this operation: answered, not redone */
} kv_result;

typedef struct kv_store kv_store;

kv_store *kv_store_new(void);
void kv_store_free(kv_store *s);
/* A deep copy (a snapshot of the state machine). */
kv_store *kv_store_clone(const kv_store *s);
/* Empties it: a restarted node rebuilds its state machine from index 1. */
void kv_store_reset(kv_store *s);

/* Applies one operation. With dedup (correct), an operation whose session number is not above
 * the client's last applied one changes nothing and answers as the first time did; without
 * (the dup_apply bug) it is applied again. */
void kv_store_apply(kv_store *s, const kv_op *op, int dedup, kv_result *res);

/* The key's value, NULL when absent. */
const char *kv_store_get(const kv_store *s, const char *key);

#endif

/* clients.h - the key-value layer on the engine: clients with sessions, redirects and retries,
 * the nodes' client service, and the history check at the end of a run (sim/kv/clients.c). The
 * loop (sim/engine/run.c) and the scenario's events call it; it calls the engine. */
#ifndef RAFTSIM_KV_CLIENTS_H
#define RAFTSIM_KV_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"

struct sim;

void kv_init(struct sim *s);
void kv_free(struct sim *s);
void kv_start_op(struct sim *s, uint32_t event_idx);            /* a scenario kv event */
int kv_on_msg(struct sim *s, uint32_t slot);                    /* 1 if it was a step */
int kv_on_timer(struct sim *s, uint32_t client, uint64_t t_us); /* 1 if it was a step */
void kv_on_apply(struct sim *s, uint8_t node, uint32_t cmd);    /* cmd is a kv command */
/* ReadIndex (cluster.reads "read_index"): read id may be answered from the node's state. */
void kv_on_read(struct sim *s, uint8_t node, uint64_t id, uint64_t index);
void kv_on_crash(struct sim *s, uint8_t node);
void kv_on_restart(struct sim *s, uint8_t node);
/* Snapshots: a copy of the node's store (NULL when there are no clients), the node's store
 * reset from such a copy, and the copy freed. */
void *kv_on_snapshot_save(struct sim *s, uint8_t node);
void kv_on_snapshot_load(struct sim *s, uint8_t node, const void *saved);
void kv_snapshot_free(void *saved);
void kv_drop_held(struct sim *s, uint32_t slot); /* a held client message is lost */
void kv_finish(struct sim *s);                   /* end of run: outcomes, history check */
int kv_expect_holds(const struct sim *s, const scn_expect *e, char *why, size_t cap);

#endif

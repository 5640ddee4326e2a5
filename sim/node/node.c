/* node.c - what every implementation of node.h shares: the outbox with message bodies and the
 * names of the message types. */
#include "sim/node/node.h"

#include <stdlib.h>
#include <string.h>

#include "sim/base/util.h"

const char *node_msg_type_name(unsigned type) {
    if (type < RAFT_MSG_TYPE_COUNT || type == RAFT_MSG_TIMEOUT_NOW)
        return raft_msg_type_name((raft_msg_type)type);
    switch (type) {
    case NODE_MSG_INSTALL_SNAPSHOT: return "InstallSnapshot";
    case NODE_MSG_TIMEOUT_NOW: return "TimeoutNow";
    default: return "?";
    }
}

void node_out_init(node_out *o) {
    memset(o, 0, sizeof *o);
    raft_out_init(&o->r);
}

void node_out_clear(node_out *o) {
    raft_out_clear(&o->r);
}

void node_out_free(node_out *o) {
    raft_out_free(&o->r);
    free(o->body);
    memset(o, 0, sizeof *o);
}

void node_out_fx(node_out *o, raft_fx_kind kind, uint64_t a, uint64_t b) {
    raft_out_fx(&o->r, kind, a, b);
}

void node_out_send(node_out *o, const raft_msg *m, void *body) {
    size_t i = o->r.n_msgs;
    if (i >= o->cap_body) {
        o->cap_body = o->cap_body ? o->cap_body * 2 : 16;
        o->body = rs_xrealloc(o->body, o->cap_body * sizeof *o->body);
    }
    o->body[i] = body;
    raft_out_send(&o->r, m);
}

/* registry.c - the table of implementations compiled in (SPEC section 6); the first is the
 * default. A file of its own: it references every implementation, and they use node.c. */
#include <string.h>

#include "sim/node/node.h"

extern const node_impl node_builtin;
extern const node_impl node_canonical;

const node_impl *const node_impls[] = {&node_builtin, &node_canonical};
const unsigned node_impl_count = sizeof node_impls / sizeof node_impls[0];

const node_impl *node_impl_find(const char *name) {
    for (unsigned i = 0; i < node_impl_count; i++)
        if (!strcmp(node_impls[i]->name, name)) return node_impls[i];
    return NULL;
}

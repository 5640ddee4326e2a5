/* jsonget.h - reading one field of an already parsed trace line (cJSON). */
#ifndef RAFTSIM_JSONGET_H
#define RAFTSIM_JSONGET_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* The field as a whole number in 0..2^53-1: 0 and *out set, or -1 (absent, another type, a
 * fraction, or out of range: nothing converts out of range). */
static inline int json_get_u64(const cJSON *obj, const char *key, uint64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740991.0 ||
        v->valuedouble != (double)(uint64_t)v->valuedouble)
        return -1;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

#endif

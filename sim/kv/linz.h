/* linz.h - linearizability checker for key-value histories (put, get, append, cas), in the manner
 * of Porcupine: the history is split per key, and each key's history is searched with Wing and
 * Gong's algorithm plus Lowe's memoization ("Testing for linearizability", 2017, section 3).
 *
 * The model, per key: one string value or absent; every key starts absent.
 *   put(k, v)          the value becomes v; outcome ok.
 *   get(k)             outcome ok with the value read (NULL result = absent).
 *   append(k, v)       the value becomes old + v (old = "" when absent); outcome ok.
 *   cas(k, from, v)    if the value equals from (absent equals no string) it becomes v and the
 *                      outcome is ok; otherwise nothing changes and the outcome is fail.
 *
 * Outcomes beyond the model:
 *   LZ_UNKNOWN   the client never learned the result: the op may take effect at any point after
 *                its invoke, or never; return_us is ignored (taken as infinity). An unknown get
 *                observes nothing and is dropped.
 *   LZ_FAIL      on cas: the comparison failed (a model outcome). On put, append and get: the
 *                request was refused and had no effect, so the op is dropped.
 *
 * Time: an op A precedes B in real time when A returns before B is invoked: A.return_us <
 * B.invoke_us, or the stamps are equal and A.return_seq < B.invoke_seq. The seq fields place
 * invokes and returns in the order they happened (the trace's event seq; a simulation runs its
 * events one after another, so a client that returns and invokes its next op in the same
 * microsecond did one before the other). A caller that cannot order events within a
 * microsecond leaves every seq 0: equal stamps then mean concurrent (no violation is reported
 * that depends on a tie). */
#ifndef RAFTSIM_LINZ_H
#define RAFTSIM_LINZ_H

#include <stddef.h>
#include <stdint.h>

typedef enum { LZ_PUT, LZ_GET, LZ_APPEND, LZ_CAS } lz_kind;
typedef enum { LZ_OK, LZ_FAIL, LZ_UNKNOWN } lz_outcome;

typedef struct {
    uint32_t client;
    uint64_t op_id;
    lz_kind kind;
    const char *key;
    const char *value; /* put, append, cas: the new value; NULL for get */
    const char *from;  /* cas: the expected old value; NULL otherwise */
    uint64_t invoke_us;
    uint64_t return_us; /* ignored when outcome is LZ_UNKNOWN */
    uint64_t invoke_seq, return_seq; /* order within a microsecond (see Time above), or 0 */
    lz_outcome outcome;
    const char *result; /* get with LZ_OK: the value read, NULL = absent */
} lz_op;

/* Values of lz_result.linearizable. */
enum {
    LZ_YES = 1,
    LZ_NO = 0,
    LZ_GAVE_UP = -1,  /* the step budget ran out before an answer */
    LZ_MALFORMED = -2 /* bad input (e.g. a put without a value): culprits[0] is the op, explain
                         says what is wrong */
};

/* Bytes of lz_result.key, terminator included; longer keys are cut. */
#define LZ_KEY_SHOW 256

/* Steps allowed when lz_check is given a budget of 0. */
#define LZ_BUDGET_DEFAULT 200000000ull

typedef struct {
    int linearizable;      /* LZ_YES, LZ_NO, LZ_GAVE_UP or LZ_MALFORMED */
    char key[LZ_KEY_SHOW]; /* LZ_NO/LZ_GAVE_UP: the key concerned; "" otherwise */
    size_t *culprits;      /* LZ_NO: indices into the input ops of a minimal non-linearizable
                              subset, ordered by invoke time; owned, see lz_result_free */
    size_t n_culprits;
    char explain[2048];       /* a few lines a person can read; "" when linearizable */
    uint64_t states_explored; /* search steps (one per attempt to linearize an op), in total,
                                 the explanation's included */
    int culprits_minimal;     /* LZ_NO: 1 if no single culprit can be dropped, 0 if the budget ran
                                 out while shrinking the set (it is still non-linearizable) */
} lz_result;

/* Checks the whole history, partitioned per key (ops on different keys commute: Herlihy and
 * Wing's locality); keys are taken in strcmp order and the first key found not linearizable
 * is reported. Each key is searched as Wing and Gong ("Testing and verifying concurrent
 * objects", 1993) with Lowe's memoization of (ops linearized, state) configurations, without
 * recursion.
 *
 * budget: max search steps in total, the explanation of a failure included (0 = default).
 * Deterministic: the same input gives the same result, whatever the addresses of the strings.
 *
 * On LZ_NO the culprits are found so (see linz.c for why):
 *   - a get (or successful cas) that reads a value no combination of the key's writes can form
 *     is reported alone, saying so plainly;
 *   - otherwise the history is cut at the earliest return time T at which it is already not
 *     linearizable (ops still running at T count as unknown-outcome; writes invoked after T
 *     join when a read needs them), then ops are dropped while the rest stays non-linearizable,
 *     a read going with the last op that could have written its value, until no single op can
 *     go (culprits_minimal = 1) or the budget runs out (0).
 * The culprits, with their real outcomes, form a non-linearizable history on their own.
 *
 * Cost: linearizable histories from a few concurrent clients take a few steps per op (10^5
 * ops in tens of milliseconds). Proving a failure means visiting every configuration up to
 * it, about (ops before it) x 2^(clients) x (values in play) x (unknown-outcome ops pending
 * that a read could still see): cheap over many keys, but one key with 10^4+ ops, many
 * timeouts and a late failure can exhaust the budget, giving LZ_GAVE_UP (never a wrong
 * answer).
 *
 * ops may be NULL when n is 0. res needs no initialization; its previous content is overwritten
 * without being freed, so call lz_result_free before reusing it. */
void lz_check(const lz_op *ops, size_t n, uint64_t budget, lz_result *res);

/* In what order the search tries unknown-outcome ops (see search_sel in linz.c). Every order
 * gives the same answer within the budget; AUTO is the fast one and the others are for tests. */
typedef enum {
    LZ_ORDER_AUTO,  /* eager for a few steps per op, then lazy */
    LZ_ORDER_EAGER, /* with the other ops, in invoke order, as Porcupine does */
    LZ_ORDER_LAZY   /* only after the known-outcome ops that could go next have been tried */
} lz_order;

typedef struct {
    uint64_t budget; /* as lz_check's */
    lz_order order;
} lz_options;

/* lz_check with options; lz_check(ops, n, budget, res) is {budget, LZ_ORDER_AUTO}. */
void lz_check_opts(const lz_op *ops, size_t n, const lz_options *opt, lz_result *res);

/* Frees the culprits and leaves res empty; safe to call twice. */
void lz_result_free(lz_result *res);

#endif

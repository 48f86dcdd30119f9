/*
 * recjoin.h — the streaming join of reconciliation (analyzers/audit/
 * reconcile.c): CloudTrail runtime calls with invocation-log records, fed in
 * time order, in bounded memory.
 *
 * Items (calls and records) come in nondecreasing time (the replay order).
 *   - Strong match: a call and a record with the same request id (the key
 *     bytes the caller gives, compared as bytes; none for an absent id). Every
 *     call and every record of a request id that has both sides matches
 *     (duplicates included), erroring calls too.
 *   - Weak match (after the strong ones, for the calls and records left):
 *     calls in (time, member id, offset) order, each takes the unmatched
 *     record of the same principal (interned pointer; "" matches "") within
 *     weak_us whose model recjoin_models_compatible() accepts, nearest in
 *     time first, then (member id, offset); each record at most once.
 * The join keeps an item only while a counterpart may still come: a hash
 * table by request id and two time-ordered queues (calls, records). A call
 * is judged (weak match) and handed to emit once an item later than its time
 * + horizon_us + weak_us has been added; a record once later than time +
 * horizon_us + 2 weak_us (every call that could still take it is judged).
 * So items whose request-id counterpart is more than horizon_us (+ weak_us)
 * away in time are told unmatched: the horizon must exceed the largest gap
 * between a call and its record (recjoin_stats.max_request_gap_us measures
 * it; reconcile.h says what was chosen and why).
 *
 * Memory bound: the items within horizon_us + 2 weak_us of the newest one,
 * and at most max_pending of them (past it the oldest is judged early and
 * counted in recjoin_stats.forced); per held item about 120 bytes with its
 * key and queue slots. Outside that bound: a table of 65,536 request-id
 * hashes of keys let go with one side only (1 MiB, for recjoin_stats.late)
 * and one queue per principal seen (about 80 bytes with its map entry, and
 * up to 256 bytes of slots kept while empty; larger slot arrays are freed
 * when they empty).
 *
 * emit is called once per item, per kind in time order (calls of the same
 * time in (member id, offset) order), with its match (RECJOIN_*); the item's
 * key is NULL there. An error returned by emit stops the join and is
 * returned by the add or finish that called it.
 *
 * Ownership: recjoin_new's result is the caller's (recjoin_free, NULL a
 * no-op); key bytes are copied; the strings of an item are borrowed and must
 * live until it is emitted. Failures: LT_EFATAL out of memory, or emit's.
 */
#ifndef LLMTRAIL_ANALYZERS_RECJOIN_H
#define LLMTRAIL_ANALYZERS_RECJOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum { RECJOIN_UNMATCHED = 0, RECJOIN_BY_REQUEST = 1, RECJOIN_WEAK = 2 };

typedef struct recjoin_item {
	int64_t id;                                       /* the caller's name of the item */
	int64_t rank, time_us, member_id, offset;         /* rank: the caller's, carried through */
	const char *principal, *account, *region, *model; /* interned: equal strings are one pointer; "" absent */
	const void *key;                                  /* request id bytes; NULL when none */
	size_t key_len;
	bool is_call, has_error;
} recjoin_item;

typedef struct recjoin recjoin;

typedef lt_status (*recjoin_emit_fn)(void *ctx, const recjoin_item *it, int match, lt_error *err);

typedef struct recjoin_stats {
	int64_t max_request_gap_us; /* largest time between an item and the latest counterpart of its request id
	                               held when it came (the gap the horizon must cover) */
	size_t peak_pending;        /* most items held at once */
	size_t forced;              /* items judged before their horizon because max_pending was reached */
	size_t late;                /* items whose request-id counterpart had been let go unmatched before they
	                               came (more than the horizon apart; a lower bound) */
} recjoin_stats;

/* NULL out of memory. */
recjoin *recjoin_new(int64_t horizon_us, int64_t weak_us, size_t max_pending, recjoin_emit_fn emit,
                     void *ctx) LT_WUR;
void recjoin_free(recjoin *j);

/* it->time_us must not be less than the previous item's. */
lt_status recjoin_add(recjoin *j, const recjoin_item *it, lt_error *err) LT_WUR;
/* Judges and emits every item still held (after the last add). */
lt_status recjoin_finish(recjoin *j, lt_error *err) LT_WUR;

const recjoin_stats *recjoin_get_stats(const recjoin *j);

/* The weak match's model test: equal, one an ARN ending in "/<the other>",
 * or either absent (NULL or ""). */
int recjoin_models_compatible(const char *a, const char *b);

#endif

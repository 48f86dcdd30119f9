/*
 * evmerge.h — the case's event blocks merged into one time-ordered stream
 * (DESIGN.md §5, docs/case-schema.md "Event blocks").
 *
 * Every member's events are stored as blocks (store/evblock.h) of rows
 * sorted by (time, source, uid). evmerge reads the blocks that overlap a time
 * range in order of their first time and merges their rows with a heap into
 * one stream ordered by (time, source, uid), ties broken by block id and row
 * (the order the writer stored them: member order, then position), so the
 * stream is total and deterministic. A row equal in (time, source, uid) to
 * the row before it is flagged as a duplicate: the first copy, in the order
 * members were added, is the one kept. Blocks are opened when the stream
 * reaches their first time and freed when exhausted, so memory is bounded by
 * the blocks that overlap in time, not by the size of the case.
 *
 * Ownership: evmerge borrows the case_db (it must outlive the merge). The
 * item and its row stay valid until the next evmerge_next or evmerge_free.
 * Failures: LT_EFATAL on SQL errors or out of memory; LT_EFILE for a block
 * that does not decode (err names the member); the merge goes on after an
 * LT_EFILE without that block.
 */
#ifndef LLMTRAIL_STORE_EVMERGE_H
#define LLMTRAIL_STORE_EVMERGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ingest/event.h"
#include "store/case.h"
#include "store/detblock.h"
#include "store/evblock.h"

typedef struct evmerge evmerge;

typedef struct evmerge_item {
	const evblock_row *row;
	int64_t block_id;
	int64_t member_id;
	size_t index;  /* row index in its block */
	int duplicate; /* same (time, source, uid) as the item before it */
	/* With a detections digest: whether the block has detections stored under
	 * it, and if so the row's (NULL: nothing matched). */
	int det_stored;
	const detblock_entry *det;
} evmerge_item;

/* Rows with since_us <= time < until_us, of source (EV_SRC_UNKNOWN = all).
 * det_digest (NULL or "": none): also read each block's stored detections
 * under that ruleset digest (store/detblock.h); a block whose detections do
 * not decode comes as if it had none (its events are judged from their
 * records) and is counted (evmerge_det_damaged). */
lt_status evmerge_new(case_db *c, int64_t since_us, int64_t until_us, ev_source source, const char *det_digest,
                      evmerge **out, lt_error *err) LT_WUR;

/* Next item, or *item = NULL at the end (LT_OK). */
lt_status evmerge_next(evmerge *m, const evmerge_item **item, lt_error *err) LT_WUR;

/* Blocks whose stored detections did not decode, so far; *first (if not
 * NULL) names the first of them (block, member, why; "" when none). */
uint64_t evmerge_det_damaged(const evmerge *m, const char **first);
/* Bytes of decoded blocks held now, and the most held at once. */
size_t evmerge_mem(const evmerge *m, size_t *peak);

void evmerge_free(evmerge *m);

#endif

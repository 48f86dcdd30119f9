/*
 * detblock.h — the stored detections of one event block (case schema v4,
 * table `detections`, docs/case-schema.md).
 *
 * When `analyze` indexes evidence it runs the stateless part of rule
 * matching in the index workers, while each record is parsed in memory, and
 * keeps what it found beside the event headers: one detblock per event block,
 * saying for each row of the block either "nothing matched" (the row is not
 * listed), the detection's bytes (opaque here: analyzers/sigma.h encodes
 * them), or "deferred" (the record could not be judged alone, e.g. its body
 * lives in another member: the scan detects it from the record). A later scan
 * with the same rules (same ruleset digest) hands those bytes to the ordered
 * stage instead of detecting again.
 *
 * Format: varint rawlen (<= DETBLOCK_RAW_MAX) | zlib stream of rawlen bytes:
 *   varint entries | per entry: varint row (ascending, < rows),
 *   varint (2 * length + deferred) | length bytes.
 *
 * Ownership: encode appends to the caller's buffer; decode returns a detblock
 * the caller frees (detblock_free), whose entries point into it. The decoder
 * trusts nothing (LT_EFILE for damaged bytes; memory bounded by
 * DETBLOCK_RAW_MAX). Thread safety: any thread, no shared state.
 */
#ifndef LLMTRAIL_STORE_DETBLOCK_H
#define LLMTRAIL_STORE_DETBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define DETBLOCK_RAW_MAX ((size_t)256 << 20) /* uncompressed bytes of one block's detections */

/* One row's detection as the indexer attaches it to an event (ev->user). */
typedef struct detblock_entry {
	const void *bytes; /* the detection's encoding; NULL with n == 0 when deferred */
	size_t n;
	bool deferred; /* not judged at index time: detect from the record */
} detblock_entry;

/* entries[i] is row i's detection, NULL when nothing matched. LT_EFATAL out
 * of memory or past DETBLOCK_RAW_MAX (err says which). */
lt_status detblock_encode(const detblock_entry *const *entries, size_t rows, buf *out, lt_error *err) LT_WUR;

typedef struct detblock detblock;
lt_status detblock_decode(const void *data, size_t n, size_t rows, detblock **out, lt_error *err) LT_WUR;
/* Row i's entry, or NULL when nothing matched on it. */
const detblock_entry *detblock_row(const detblock *b, size_t i);
size_t detblock_mem(const detblock *b);
void detblock_free(detblock *b);

#endif

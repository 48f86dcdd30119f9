/*
 * evblock.h — the compact on-disk form of event headers (case schema v2).
 *
 * A block is up to EVBLOCK_MAX event headers of one member and one source,
 * sorted by the caller in replay order (evblock_row_cmp), stored as one
 * compressed blob in the case's `blocks` table. evblock_encode turns rows
 * into a blob; evblock_decode turns a blob back into the same rows, field for
 * field and byte for byte. The format is described at the top of evblock.c.
 *
 * Ownership: encode borrows the rows and appends to the caller's buffer.
 * decode returns an evblock the caller frees with evblock_free; every string
 * in its rows points into it (not NUL-terminated) and is valid until then.
 * Empty strings decode as {NULL, 0}, as absent fields are in event.h.
 *
 * Limits: 1..EVBLOCK_MAX rows; each string at most EVBLOCK_STR_MAX bytes;
 * the uncompressed payload at most EVBLOCK_PAYLOAD_MAX bytes (real rows use
 * well under 1 KiB each, so a full block of them fits many times over).
 * The decoder trusts nothing: a damaged or hostile blob gives LT_EFILE, and
 * the memory it allocates is bounded by those limits and by what the
 * compressed bytes can actually expand to.
 *
 * Thread safety: all functions may be called from any thread at once.
 */
#ifndef LLMTRAIL_STORE_EVBLOCK_H
#define LLMTRAIL_STORE_EVBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "ingest/event.h" /* ev_str, EV_F_* flags */

#define EVBLOCK_MAX 8192 /* events per block at most */
#define EVBLOCK_STR_MAX 65535u /* bytes per string field at most */
#define EVBLOCK_PAYLOAD_MAX (64u << 20) /* uncompressed payload bytes at most */
#define EVBLOCK_NSTR 11 /* string-id columns, in this order: */
enum {
	EVB_ACTION,
	EVB_SERVICE,
	EVB_PRINCIPAL,
	EVB_ACCESS_KEY,
	EVB_ACCOUNT,
	EVB_REGION,
	EVB_SOURCE_IP,
	EVB_USER_AGENT,
	EVB_MODEL,
	EVB_ERROR_CODE,
	EVB_GUARDRAIL_ACTION
};

typedef struct evblock_row {
	int64_t time_us; /* UTC microseconds, any int64 */
	uint32_t source; /* ev_source, 0..255 */
	uint32_t flags;  /* EV_F_* */
	ev_str uid;      /* text, 0..65535 bytes (usually a lower-case UUID, 36 chars;
	                    else e.g. "sha256:<64 hex>") */
	ev_str request_id; /* text or empty (p may be NULL when n == 0) */
	uint32_t str[EVBLOCK_NSTR]; /* ids into the case's string dictionary; 0 = absent */
	int64_t input_tokens, output_tokens, latency_ms; /* -1 = absent, else >= 0 */
	uint64_t offset; /* byte offset of the record in the member's content */
	uint64_t length; /* its length in bytes */
	uint64_t line;   /* 1-based line / record ordinal */
	ev_str input_body_ref, output_body_ref; /* usually empty */
} evblock_row;

/* Compares two rows in replay order: time_us, then source, then uid bytes (memcmp of the
 * text, shorter first on a common prefix). Returns <0, 0, >0. */
int evblock_row_cmp(const evblock_row *a, const evblock_row *b);

/* Encodes n rows (1 <= n <= EVBLOCK_MAX, in the order given; the caller sorts) into out
 * (appended). LT_EFATAL out of memory / n out of range / a field out of range (err says
 * which; also when the payload would pass EVBLOCK_PAYLOAD_MAX: split the block) or when
 * out's cap is reached. out is unchanged on failure. */
lt_status evblock_encode(const evblock_row *rows, size_t n, buf *out, lt_error *err) LT_WUR;

typedef struct evblock evblock;
/* Decodes a blob. Every byte is checked: a corrupt, truncated or hostile blob gives LT_EFILE
 * with err saying what is wrong (never a crash, never reading out of bounds, memory bounded
 * by EVBLOCK_MAX rows and the declared sizes, which are themselves capped). LT_EFATAL out
 * of memory. *out is NULL on failure. data is not kept. */
lt_status evblock_decode(const void *data, size_t n, evblock **out, lt_error *err) LT_WUR;
size_t evblock_count(const evblock *b);
/* Row i (< count); strings point into b and stay valid until evblock_free. */
const evblock_row *evblock_row_at(const evblock *b, size_t i);
/* Bytes b holds (for cache accounting). */
size_t evblock_mem(const evblock *b);
/* b may be NULL. */
void evblock_free(evblock *b);

#endif

/*
 * decode_impl.h — what the format decoders in their own files (cwlogs.c, ...)
 * share with decode.c. Private to ingest/: nothing outside ingest includes it.
 *
 * decode.c owns sniffing, the registration table and the decoding context
 * (dctx, opaque here). A decoder file provides a bid on the peek and a decode
 * function, and uses the calls below to report problems and to hand records
 * to the one classifier (CloudTrail, invocation log, knowledge base log) that
 * every format shares, so a record means the same wherever it was found.
 */
#ifndef LLMTRAIL_INGEST_DECODE_IMPL_H
#define LLMTRAIL_INGEST_DECODE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ingest/json.h"

/* What sniffing saw of a member (filled by decode.c's peek). */
typedef struct decode_peek {
	const char *text;
	size_t len;
	size_t start;            /* first byte after a UTF-8 BOM and whitespace */
	char first_char;         /* text[start], or 0 when there is nothing */
	char first_key[32];      /* first key of a top-level object ("" if none/unusual) */
	const json_value *first; /* first record/value found, or NULL */
	bool whole;              /* first spans the whole text */
	bool in_array;           /* first is the first element of a top-level array */
	bool empty_array;        /* the text is "[]" */
	bool cloudwatch;         /* first line is "<ISO-8601> {...}" */
	bool utf16;              /* UTF-16 text */
} decode_peek;

typedef struct dctx dctx;

/* The text being decoded and where it sits in the member. */
const char *decode_impl_text(const dctx *c, size_t *len, uint64_t *base);
arena *decode_impl_arena(const dctx *c);
/* Parse options of this decode (depth) with the given json flags. */
json_options decode_impl_json_options(const dctx *c, unsigned flags);
size_t decode_impl_max_record(const dctx *c);
/* True once the consumer asked to stop: return as soon as possible. */
bool decode_impl_stopped(const dctx *c);

/* A problem at line/off (off: member offset). st LT_OK is a note: it is
 * reported but changes no status. */
void decode_impl_problem(dctx *c, lt_status st, uint64_t line, uint64_t off, const char *fmt, ...)
	LT_PRINTF(5, 6);
/* Counts one record that could not be decoded and reports why. */
void decode_impl_bad_record(dctx *c, uint64_t line, uint64_t off, const char *fmt, ...) LT_PRINTF(4, 5);

/*
 * A record held as JSON text in the string s (a lookup event's
 * CloudTrailEvent, a CloudWatch Logs event's message): parsed into the arena,
 * classified and delivered; ev->raw is the decoded string. off is the member
 * offset of s, fallback_us (or -1) the time to use when the record has none
 * (invocation logs), what names the string in problems ("CloudTrailEvent",
 * "log event 3 (stream s, id i) message").
 */
void decode_impl_embedded(dctx *c, const json_value *s, uint64_t line, uint64_t off, int64_t fallback_us,
                          const char *what);

/* Lets the consumer store what was delivered and resets the arena when the
 * batch is big enough. Call only between records, with nothing of the
 * arena still in use. */
void decode_impl_maybe_flush(dctx *c);

#endif

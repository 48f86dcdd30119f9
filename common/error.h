/*
 * error.h — the one error-reporting convention of llmtrail.
 *
 * Every fallible function returns an lt_status and, when it fails, fills an
 * lt_error that the caller owns (usually on its stack). Status codes are graded
 * like libarchive's, so a caller knows how far a failure reaches:
 *
 *   LT_OK     all went well.
 *   LT_EITEM  one item (a record, a line, a rule on one event) failed; record
 *             the problem and go on with the next item.
 *   LT_EFILE  this file or archive member is unusable; record it and go on with
 *             the rest of the evidence.
 *   LT_EFATAL the run cannot go on (out of memory, the case index is unwritable).
 *
 * An lt_error names where the problem is (evidence file, member path chain,
 * line, byte offset) and what it is. It holds fixed-size buffers and never
 * allocates, so it can be filled on any failure path, including out of memory.
 * Messages built from evidence are truncated to fit, never overflowed.
 */
#ifndef LLMTRAIL_COMMON_ERROR_H
#define LLMTRAIL_COMMON_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define LT_ERROR_PATH_MAX 1024
#define LT_ERROR_MSG_MAX 512

typedef struct lt_error {
	lt_status status;
	char file[LT_ERROR_PATH_MAX];   /* evidence file as given; "" if none */
	char member[LT_ERROR_PATH_MAX]; /* member chain inside it, '/'-joined; "" if none */
	uint64_t line;                  /* 1-based line or record ordinal; 0 if none */
	uint64_t offset;                /* byte offset of the problem: in the decompressed member,
	                                   or in the compressed bytes for damaged compression
	                                   (the message says which); 0 if unknown */
	char msg[LT_ERROR_MSG_MAX];
} lt_error;

/* Resets e to LT_OK with every field empty. e may be NULL (then nothing happens). */
void lt_error_clear(lt_error *e);

/* Sets status and message (printf-style) and returns status, so that a failure
 * path can read `return lt_error_set(err, LT_EFILE, "truncated gzip");`.
 * e may be NULL: the status is still returned. Location fields are kept. */
lt_status lt_error_set(lt_error *e, lt_status status, const char *fmt, ...) LT_PRINTF(3, 4);

/* Records where the problem is. Any string may be NULL (left unchanged). */
void lt_error_where(lt_error *e, const char *file, const char *member, uint64_t line);

/* Formats "FILE[: MEMBER][: line N][: offset N]: MESSAGE" into out (always
 * NUL-terminated when n > 0). Returns the length the full text would have.
 * Non-printable bytes from evidence are shown as \xNN so a terminal is safe. */
size_t lt_error_format(const lt_error *e, char *out, size_t n);

/* "ok", "item", "file", "fatal". */
const char *lt_status_name(lt_status s);

/* The more severe of two statuses. */
static inline lt_status lt_status_worst(lt_status a, lt_status b)
{
	return a > b ? a : b;
}

#endif

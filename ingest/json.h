/*
 * json.h — llmtrail's own JSON parser: strict RFC 8259, arena-allocated,
 * in-situ where it can be. It is the hot path of indexing and scanning.
 *
 * Ownership, in one sentence: a document lives in the arena passed to
 * json_parse and may point into the input text, so both the arena and the
 * input must outlive every json_value taken from it.
 *
 * Values are plain structs (read their fields directly). Strings are
 * (pointer, length) pairs and are NOT NUL-terminated: they point into the
 * input when the JSON string had no escapes, otherwise to decoded UTF-8 in the
 * arena; "\u0000" decodes to a real NUL byte inside the string. Arrays and
 * objects hold their children in one contiguous block, in document order.
 * Every value knows its byte span in the input (start, end), which is how
 * decoders keep the exact original bytes of a record.
 *
 * Strictness (JSONTestSuite): every y_ case parses, every n_ case is rejected.
 * i_ cases: numbers of any magnitude parse (number text is kept; conversion
 * helpers report overflow); invalid UTF-8 and lone surrogates are replaced by
 * U+FFFD and flagged (JSON_F_REPLACED on the value and the root) unless
 * JSON_STRICT_UTF8 is set, in which case they are errors; a UTF-8 BOM is
 * rejected unless JSON_ALLOW_BOM; UTF-16 input is rejected (json_looks_utf16),
 * and an error at a NUL byte says so; nesting deeper
 * than max_depth is an error. docs/json.md records each i_ decision.
 *
 * Errors: LT_EITEM with err->offset set to the byte offset of the problem and
 * a message saying what was expected; the arena may hold partial allocations
 * (reset it). Exceeding the arena's cap is LT_EITEM "document too large".
 */
#ifndef LLMTRAIL_INGEST_JSON_H
#define LLMTRAIL_INGEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"

typedef enum json_type {
	JSON_NULL = 0,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
} json_type;

/* value flags */
#define JSON_F_REPLACED 0x1u /* invalid UTF-8 or a lone surrogate was replaced by U+FFFD */
#define JSON_F_ESCAPED 0x2u  /* string had escapes: s points into the arena */

typedef struct json_value json_value;
typedef struct json_member json_member;

struct json_value {
	json_type type;
	uint32_t flags;
	size_t len;   /* STRING: bytes; NUMBER: bytes of the number text; ARRAY/OBJECT: children */
	size_t start; /* byte span of the value in the input: [start, end) */
	size_t end;
	union {
		const char *s;        /* STRING (decoded) and NUMBER (original text) */
		json_value *items;    /* ARRAY */
		json_member *members; /* OBJECT */
	} u;
};

struct json_member {
	const char *key; /* decoded, not NUL-terminated */
	size_t key_len;
	json_value value;
};

/* parse options */
#define JSON_STRICT_UTF8 0x1u   /* invalid UTF-8 / lone surrogates are errors, not replaced */
#define JSON_ALLOW_TRAILING 0x2u /* stop after the first value; *consumed says where */
#define JSON_ALLOW_BOM 0x4u     /* skip a leading UTF-8 byte order mark */

#define JSON_DEFAULT_MAX_DEPTH 256

typedef struct json_options {
	unsigned flags;
	unsigned max_depth; /* 0 = JSON_DEFAULT_MAX_DEPTH */
} json_options;

/*
 * Parses text[0..len) into *out (allocated in a). opts may be NULL (defaults).
 * consumed may be NULL; when given it receives the offset just past the value
 * (and trailing whitespace). Without JSON_ALLOW_TRAILING anything but
 * whitespace after the value is an error. The root's flags carry
 * JSON_F_REPLACED if any string anywhere was repaired.
 */
lt_status json_parse(arena *a, const char *text, size_t len, const json_options *opts,
                     json_value **out, size_t *consumed, lt_error *err) LT_WUR;

/* Object member lookup: the LAST member named key (as JavaScript and Python
 * resolve duplicates, i.e. what a consumer of the record saw). NULL if v is
 * not an object or has no such member. */
const json_value *json_get(const json_value *v, const char *key);
const json_value *json_getn(const json_value *v, const char *key, size_t key_len);

/* Follows a dotted path of object keys ("userIdentity.sessionContext.sessionIssuer.arn").
 * Does not descend into arrays (callers needing any-element semantics walk themselves). */
const json_value *json_get_path(const json_value *v, const char *dotted);

/* True if v is a string equal to s (byte-wise). */
bool json_str_eq(const json_value *v, const char *s);

/* Number conversions: LT_OK, or LT_EITEM when v is not a number or does not fit
 * (json_to_int64 also rejects fractions and exponents that leave a fraction). */
lt_status json_to_int64(const json_value *v, int64_t *out) LT_WUR;
lt_status json_to_double(const json_value *v, double *out) LT_WUR;

/* Appends s[0..n) as a JSON string literal (with quotes), escaping '"', '\\',
 * control characters, U+2028/U+2029 and the bidirectional controls (U+200E,
 * U+200F, U+202A-U+202E, U+2066-U+2069); invalid UTF-8 becomes \ufffd. */
lt_status json_write_string(buf *out, const char *s, size_t n) LT_WUR;

/* The same, but each byte of invalid UTF-8 becomes \udcNN (NN its value, a
 * lone low surrogate, as Python's "surrogateescape"): different bytes stay
 * different and the exact bytes can be recovered (valid text never holds a
 * lone surrogate). Used where bytes that are no text (file and member names)
 * must survive, e.g. `timeline --format jsonl`. */
lt_status json_write_string_bytes(buf *out, const char *s, size_t n) LT_WUR;

/* Serializes v. indent 0: compact; indent > 0: pretty with that many spaces. */
lt_status json_write(buf *out, const json_value *v, int indent) LT_WUR;

const char *json_type_name(json_type t);

/* True if text starts like UTF-16: a byte order mark, or (without one) a NUL
 * in every pair of its first bytes (up to 16). A lone NUL is not UTF-16: the
 * parser then says "found a NUL byte". */
bool json_looks_utf16(const void *text, size_t len);

#endif

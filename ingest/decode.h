/*
 * decode.h — format sniffing and decoding of evidence text into events
 * (DESIGN.md §3, §4).
 *
 * Input is the DECOMPRESSED text of one member (the walker unpacks). Formats
 * are decided by content, never by name: every registered format bids on the
 * first bytes and on the first parsed record, the highest bid wins:
 *   cloudtrail             {"Records":[...]}, also several such documents
 *                          concatenated (zcat of many log files)
 *   cloudtrail-jsonl       one CloudTrail record per line, or records
 *                          concatenated / pretty-printed (jq output)
 *   cloudtrail-array       a bare JSON array of records (or of lookup events)
 *   cloudtrail-lookup      aws cloudtrail lookup-events output
 *                          {"Events":[{"CloudTrailEvent":"<json>",...}]}
 *   cloudtrail-digest      a CloudTrail digest file (-> sink->on_digest)
 *   invocation-jsonl       Bedrock ModelInvocationLog records, one per line
 *   invocation-cloudwatch  CloudWatch Logs export: "<ISO-8601> <record JSON>"
 *   json-object            any other valid JSON (e.g. a request/response body
 *                          stored under data/; -> sink->on_object)
 *   not-evidence           anything else (README, PNG, binary): skipped, not
 *                          an error (except UTF-16 text, reported)
 * In the record formats each record is classified on its own (a CloudTrail
 * record, an invocation record, or a lookup event wrapper), so mixed files
 * decode; the member's format only sets the default for unclassifiable ones.
 *
 * Events: ev->raw is the exact original bytes of the record (for lookup
 * events: the decoded CloudTrailEvent string; for CloudWatch lines: the JSON
 * after the timestamp), ev->offset its byte offset in the member,
 * ev->line the 1-based line (line formats) or record ordinal (array formats;
 * lookup: the Events element ordinal).
 *
 * Lifetimes and the arena: everything an event points to lives in `text` or
 * in arena `a`. Between records the decoder may call sink->on_flush and then
 * arena_reset(a) (when arena_used(a) passed opts->batch_bytes); an event
 * delivered to on_event is valid until the next on_flush returns, or, for
 * the last batch, until the caller resets `a` or frees `text`. Keep nothing
 * else in `a`. Memory is bounded by the batch size plus one record (line
 * formats, streamed arrays) or by a's cap (single-document formats).
 *
 * Errors: per-record problems (invalid JSON, missing required field,
 * over-long record, replaced invalid UTF-8 — the event is still delivered,
 * flagged) go to sink->on_problem with file, member, line and offset set, and
 * decoding goes on. A member that cannot be decoded at all reports one
 * LT_EFILE problem. The return value is the worst status of the member
 * (LT_OK, LT_EITEM, LT_EFILE), or whatever the sink returned at LT_EFILE or
 * above, which stops decoding (err then says why). res is always filled.
 */
#ifndef LLMTRAIL_INGEST_DECODE_H
#define LLMTRAIL_INGEST_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ingest/event.h"
#include "ingest/json.h"

#define DECODE_MAX_RECORD ((size_t)64 << 20)  /* longest line / record */
#define DECODE_BATCH_BYTES ((size_t)16 << 20) /* arena use before a flush */
#define DECODE_PROGRESS_STEP ((size_t)1 << 20) /* text read between on_progress calls */

typedef struct decode_sink {
	void *ctx;
	/* Required. LT_OK goes on; LT_EITEM is counted in the member status and
	 * decoding goes on; LT_EFILE/LT_EFATAL stop decoding and are returned. */
	lt_status (*on_event)(void *ctx, const event *ev);
	/* Optional. A problem with file/member/line/offset/msg set. */
	void (*on_problem)(void *ctx, const lt_error *problem);
	/* Optional. A CloudTrail digest document (validate it with digestfile.h). */
	lt_status (*on_digest)(void *ctx, const json_value *doc);
	/* Optional. A json-object member's document. */
	lt_status (*on_object)(void *ctx, const json_value *doc);
	/* Optional. The decoder is about to arena_reset(a): events delivered so far die. */
	lt_status (*on_flush)(void *ctx);
	/* Optional. The decoder has read the member up to offset and will not read
	 * before it again, but for records already delivered: a caller decoding a
	 * file mapping may drop the pages behind it (issue 22: a member's pages
	 * need not all be resident at once). Called at record boundaries and in
	 * long runs of blanks, at most once per DECODE_PROGRESS_STEP bytes. */
	void (*on_progress)(void *ctx, uint64_t offset);
} decode_sink;

typedef struct decode_options {
	size_t max_record;  /* 0 = DECODE_MAX_RECORD */
	size_t batch_bytes; /* 0 = DECODE_BATCH_BYTES */
	unsigned max_depth; /* JSON nesting; 0 = JSON_DEFAULT_MAX_DEPTH */
} decode_options;

typedef struct decode_result {
	const char *format; /* name of the winning format (static), NULL before sniffing */
	uint64_t records;   /* records seen, including ones that had problems */
	uint64_t events;    /* events delivered to on_event */
	uint64_t problems;  /* problems delivered to on_problem */
	lt_status status;   /* worst status of the member */
} decode_result;

typedef struct decode_format decode_format; /* an entry of the registration table */

/* The registration table, in bidding order; *n receives its length. */
const decode_format *const *decode_formats(size_t *n);
const char *decode_format_name(const decode_format *f);
/* NULL if no format has that name. */
const decode_format *decode_format_find(const char *name);
/* True for the formats decode_chunk accepts (record-per-line/concatenated). */
bool decode_format_chunkable(const decode_format *f);

/* Sniffs text and returns the winning format (never NULL: "not-evidence" at
 * worst). Uses a for a peek parse; reset it afterwards if you like. */
const decode_format *decode_sniff(const char *text, size_t len, arena *a);

/* Sniffs and decodes a whole member. prov is copied into nothing: events and
 * problems point to it, so it must outlive them. opts may be NULL. */
lt_status decode_member(const char *text, size_t len, const ev_provenance *prov, arena *a,
                        const decode_sink *sink, decode_result *res, lt_error *err) LT_WUR;
lt_status decode_member_ex(const char *text, size_t len, const ev_provenance *prov, arena *a,
                           const decode_sink *sink, const decode_options *opts,
                           decode_result *res, lt_error *err) LT_WUR;

/*
 * Decoding a huge member in pieces (chunkable formats only). Sniff the first
 * piece with decode_sniff, zero a decode_result and a cursor, set
 * cursor.line = 1; then for each piece:
 *
 *     decode_chunk(fmt, piece, n, at_eof, &cur, &used, prov, a, sink, opts, &res, &err);
 *     keep piece[used..n) and put it in front of the next piece
 *
 * Only whole records are decoded; the unfinished tail is left unconsumed
 * (used < n) unless final is true. The cursor carries the line number and
 * member offset of the next unconsumed byte, and skips the rest of a record
 * that was reported as longer than max_record. Results accumulate in res.
 * Events point into the piece (and a): they die when the caller reuses the
 * piece's buffer or resets a. Sniff on a piece of at least a few lines
 * (64 KiB is plenty); pieces may be any size after that.
 * Returns like decode_member for this chunk; LT_EFILE if fmt is not chunkable.
 */
typedef struct decode_cursor {
	uint64_t line;   /* 1-based line number of the next unconsumed byte */
	uint64_t offset; /* its byte offset in the member */
	bool skipping;   /* inside an over-long record: drop bytes up to the next newline */
	uint64_t frontier; /* internal: where the last multi-line parse failed; start at 0 */
} decode_cursor;

lt_status decode_chunk(const decode_format *fmt, const char *text, size_t len, bool final,
                       decode_cursor *cur, size_t *consumed, const ev_provenance *prov, arena *a,
                       const decode_sink *sink, const decode_options *opts, decode_result *res,
                       lt_error *err) LT_WUR;

#endif

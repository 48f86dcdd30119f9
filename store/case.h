/*
 * case.h — the case index: one SQLite file per case (DESIGN.md §5,
 * docs/case-schema.md).
 *
 * case_open creates or migrates the schema (PRAGMA user_version) and returns
 * a handle; every other store module (writer, replay) works through it.
 * A case_db is used by one thread at a time; the indexer opens one handle per
 * thread that needs one (SQLite in WAL mode lets readers run beside the
 * writer).
 *
 * Ownership: the caller owns the case_db and closes it with case_close
 * (case_close(NULL) does nothing). Strings returned by queries are copied
 * into buffers the caller passes in.
 *
 * Failures: LT_EFATAL with err saying why (cannot open, not a case index,
 * written by a newer llmtrail, SQL error). A case index is never modified
 * when opened with CASE_READONLY.
 */
#ifndef LLMTRAIL_STORE_CASE_H
#define LLMTRAIL_STORE_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The schema version this build writes (PRAGMA user_version). */
#define CASE_SCHEMA_VERSION 4

typedef struct case_db case_db;
typedef struct sqlite3 sqlite3;

/* open flags */
#define CASE_READONLY 0x0u
#define CASE_CREATE 0x1u /* create the file if missing; migrate an older schema */

lt_status case_open(const char *path, unsigned flags, case_db **out, lt_error *err) LT_WUR;
void case_close(case_db *c);

/* The underlying connection, for the store/ modules only (writer, replay,
 * caseq, recq, ...): no file outside store/ includes sqlite3.h. Not for
 * schema changes. */
sqlite3 *case_sqlite(case_db *c);
const char *case_path(const case_db *c);

/* Runs a statement with no result rows; LT_EFATAL with the SQLite message on error. */
lt_status case_exec(case_db *c, const char *sql, lt_error *err) LT_WUR;

/* The run log: one row per command that wrote to the case. */
lt_status case_run_begin(case_db *c, const char *command, int argc, char *const *argv, int64_t *run_id,
                         lt_error *err) LT_WUR;
/* status: "done" or "failed"; a run killed before this stays "running". */
lt_status case_run_end(case_db *c, int64_t run_id, const char *status, lt_error *err) LT_WUR;

/* The longest time span of one event block (t_max - t_min, microseconds;
 * 0 for a case without blocks): a block overlapping [since, until) starts at
 * or after since - span, which bounds time-range queries. Cached; recomputed
 * when blocks were added. */
lt_status case_block_span(case_db *c, int64_t *span, lt_error *err) LT_WUR;

/* The string dictionary (table strs), loaded into memory on first use and
 * extended when rows were added since (strs only grows). case_strings_refresh
 * brings it up to date; case_string returns the string with that id, or an
 * empty string with *ok = 0 for an id the case does not have (0 = absent is
 * ok). Strings stay valid until case_close. A case whose string ids are far
 * sparser than llmtrail writes them (damaged or forged) is refused with
 * LT_EFATAL rather than sizing the dictionary by its largest id. */
typedef struct ev_str ev_str;
lt_status case_strings_refresh(case_db *c, lt_error *err) LT_WUR;
ev_str case_string(const case_db *c, uint32_t id, int *ok);

/* Memory for long strings is bounded: strings over CASE_STR_SHORT bytes are
 * held only while they total CASE_STR_LONG_BUDGET bytes (the first ones by
 * id); any later one stays on disk, and case_string returns it as
 * {NULL, its length} with *ok = 1. case_string_read reads string id into a
 * (for such a string: its lifetime is then a's), preparing *q on c's
 * connection on first use (the caller finalizes it). LT_EITEM if the case
 * has no such string or a refuses it, LT_EFATAL on SQL errors. Evidence
 * with 250,000 distinct 2 KB user agents thus costs the dictionary 16 MiB,
 * not 500 MB (docs/PERFORMANCE.md). store/writer.c's cache of string ids
 * keeps to the same budget. */
#define CASE_STR_SHORT 256
#define CASE_STR_LONG_BUDGET ((size_t)16 << 20)
/* The dictionary holds the first CASE_DICT_IDS ids (16 bytes each, and the
 * short strings themselves): a later string, whatever its length, stays on
 * disk and case_string returns it as {NULL, 1} (its length unknown) with
 * *ok = 1, to be read with case_string_read. Memory for distinct values thus
 * stops growing past 2^20 of them (16 MiB of slots a copy; a scan holds two
 * copies), as store/writer.c's cache of ids does (issue 22: 16 bytes a
 * distinct value a copy grew scan by 32 bytes an event on evidence whose every
 * event has its own user agent). case_dict_ids_limit holds fewer (tests); 0 is
 * CASE_DICT_IDS. Call it before the first case_strings_refresh. */
#define CASE_DICT_IDS ((size_t)1 << 20)
void case_dict_ids_limit(case_db *c, size_t ids);
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct arena arena;
lt_status case_string_read(sqlite3_stmt **q, case_db *c, uint32_t id, arena *a, ev_str *out, lt_error *err) LT_WUR;

/* Calls fn(ctx, path) for each evidence path the case records (as given to
 * `index`), in the order first indexed, until fn returns nonzero. Returns
 * fn's nonzero value, 0 when every call returned 0, or -1 with err set on
 * an SQL error. */
int case_each_evidence_path(case_db *c, int (*fn)(void *ctx, const char *path), void *ctx, lt_error *err);

/* True when the case has a table of that name (tables added by a later
 * schema, e.g. conflicts, are absent from an older case read read-only). */
int case_has_table(case_db *c, const char *name);

/* How many conflicting copies the case records (table conflicts, filled by
 * store/evdup.c; 0 without the table). LT_EFATAL on SQL errors. */
lt_status case_count_conflicts(case_db *c, int64_t *n, lt_error *err) LT_WUR;

/* Totals over the whole case, for summaries. */
typedef struct case_totals {
	int64_t evidence, members, members_indexed, members_duplicate, members_unreadable;
	int64_t events, events_cloudtrail, events_invocation, events_kblog, duplicates, problems;
	int64_t stored_bytes; /* bytes of stored member content (chunks) */
} case_totals;
lt_status case_get_totals(case_db *c, case_totals *t, lt_error *err) LT_WUR;

/*
 * Reads a stored member's whole decompressed content into out (appended; the
 * buffer's cap bounds it). LT_EITEM if the member has no stored content,
 * LT_EFILE if the stored bytes do not inflate, LT_EFATAL on SQL errors.
 */
typedef struct buf buf;
lt_status case_member_content(case_db *c, int64_t member_id, buf *out, lt_error *err) LT_WUR;

/* Resolves an S3 body reference ("s3://bucket/key", or a bare key) to the
 * stored member holding that object: a member whose evidence path + member
 * path ends with the key at a '/' boundary (duplicates followed to the member
 * holding the content). *member_id = 0 if none. */
lt_status case_resolve_body(case_db *c, const char *ref, size_t ref_len, int64_t *member_id, lt_error *err) LT_WUR;


/* A member the run could not read whole: unreadable, cut short, or with
 * records that did not parse (its problems). first/last_us: the span of the
 * events read from it (INT64_MIN when none); format as indexed ("" if never
 * recognised); reason: its first problem's. Strings live until the next call
 * of the callback. */
typedef struct case_damaged {
	int64_t member_id;
	const char *file, *member, *format, *reason;
	int64_t first_us, last_us;
} case_damaged;

/* Calls fn for every damaged member (at most max; 0 = no limit), by id.
 * A non-zero return from fn stops the walk. LT_EFATAL on SQL errors. */
lt_status case_damaged_members(case_db *c, size_t max, int (*fn)(void *ctx, const case_damaged *d), void *ctx,
                               lt_error *err) LT_WUR;

/* Escapes bytes for a terminal or a table cell: control characters and DEL as
 * \xNN, backslash as "\\"; valid UTF-8 kept. Appends to out. */
lt_status case_escape_text(buf *out, const char *s, size_t n) LT_WUR;

#endif

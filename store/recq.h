/*
 * recq.h — the tables CloudTrail <-> invocation-log reconciliation joins in
 * (analyzers/audit/reconcile.c), and the read-back of the unmatched records
 * for its findings: the SQL reconcile ran itself before issue 15 sealed
 * store/.
 *
 * A recq is a working session on the case's connection: TEMP tables (rc_ct
 * for CloudTrail runtime calls, rc_inv for invocation records, rc_ctl for
 * the calls that switch a source off; or rc_hit for the read-back) on the
 * read-only case, with query_only lifted, the TEMP page cache raised to
 * RECQ_TEMP_CACHE_KIB and all work inside a savepoint (one commit, and it
 * nests in a caller's transaction). recq_close empties the tables (emptied,
 * not dropped: DROP is refused while another statement such as a replay is
 * active on the connection), ends the savepoint and puts the settings back.
 * Records are named by the caller's id (reconcile: the 1-based ordinal in
 * the replay order); rank is its rank among the records of the same time.
 * Absent strings are NULL in the tables, request ids that are canonical
 * UUIDs are stored as 16 bytes (as in the index).
 *
 * Ownership: recq_open / recq_hits_open give a recq that recq_close frees
 * (NULL: nothing). Strings handed out are valid until the next call on q.
 * Failures: LT_EFATAL "reconcile: WHAT: <SQLite message>" (or the message of
 * a failed statement) on SQL errors; a recq is then still closed by recq_close.
 */
#ifndef LLMTRAIL_STORE_RECQ_H
#define LLMTRAIL_STORE_RECQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ingest/event.h"
#include "store/case.h"

#define RECQ_TEMP_CACHE_KIB 16384 /* page cache of the TEMP tables while in use (less spilling) */

typedef struct recq recq;

/* ---- the join ----------------------------------------------------------- */

/* Opens (creates or empties) rc_ct, rc_inv, rc_ctl; NULL *out on failure. */
lt_status recq_open(case_db *c, recq **out, lt_error *err) LT_WUR;

/* One CloudTrail runtime call (error: it carries an errorCode), one
 * invocation record, one call that may switch a source off (its action). */
lt_status recq_add_call(recq *q, int64_t id, int64_t rank, const event *ev, bool error, lt_error *err) LT_WUR;
lt_status recq_add_record(recq *q, int64_t id, int64_t rank, const event *ev, lt_error *err) LT_WUR;
lt_status recq_add_control(recq *q, int64_t id, const event *ev, lt_error *err) LT_WUR;

typedef struct recq_counts {
	size_t calls, calls_error, records, matched_request;
} recq_counts;

/* After the last add: indexes the tables and marks the calls and records
 * that share a non-empty request id (strong matches); counts. */
lt_status recq_match_requests(recq *q, recq_counts *n, lt_error *err) LT_WUR;

/* An unmatched call or record. Strings are slices, {NULL, 0} when absent. */
typedef struct recq_row {
	int64_t id, time_us, member_id, offset, rank;
	ev_str principal, account, region, model;
	bool has_error;
} recq_row;

/* Unmatched calls (calls true) or records, by time, member id, offset. */
lt_status recq_each_unmatched(recq *q, bool calls, lt_status (*fn)(void *ctx, const recq_row *row, lt_error *err),
                              void *ctx, lt_error *err) LT_WUR;

/* Weak match of call call_id: the first unmatched record of principal
 * within tol_us of t (nearest first, then member id, offset) whose model
 * accept() takes (model NULL when absent) is marked matched with the call;
 * *record its id, 0 when none. */
lt_status recq_weak_match(recq *q, int64_t call_id, const char *principal, int64_t t, int64_t tol_us,
                          int (*accept)(void *ctx, const char *model), void *ctx, int64_t *record,
                          lt_error *err) LT_WUR;

/* Matched calls (calls true) or records of account/region with from <= time
 * <= to; 0 on SQL errors. */
size_t recq_matched_between(recq *q, bool calls, const char *account, const char *region, int64_t from,
                            int64_t to);

/* The latest call of account in [from, to] that switches CloudTrail
 * (cloudtrail true: StopLogging, DeleteTrail, UpdateTrail,
 * PutEventSelectors) or invocation logging (Delete/Put
 * ModelInvocationLoggingConfiguration) off: true with *action (valid until
 * the next call) and *time_us; false when none or on SQL errors. */
bool recq_switch_off(recq *q, bool cloudtrail, const char *account, int64_t from, int64_t to,
                     const char **action, int64_t *time_us);
/* The earliest invocation-logging configuration call (Delete/Put
 * ModelInvocationLoggingConfiguration) of account in [from, to]: true with
 * *action (valid until the next call) and *time_us; false when none or on SQL
 * errors. */
bool recq_logging_call_after(recq *q, const char *account, int64_t from, int64_t to, const char **action,
                             int64_t *time_us);

/* ---- the read-back of records ------------------------------------------- */

/* Opens (creates or empties) rc_hit; NULL *out on failure. */
lt_status recq_hits_open(case_db *c, recq **out, lt_error *err) LT_WUR;
/* Keeps the header of ev as the record at place pos of the report. */
lt_status recq_hit_add(recq *q, int64_t pos, const event *ev, lt_error *err) LT_WUR;

/* A kept header; strings are NULL when absent. */
typedef struct recq_hit {
	int64_t pos, time_us, input_tokens, output_tokens, latency_ms;
	uint64_t line;
	const char *source, *uid, *request_id, *action, *service, *principal, *access_key, *account, *region,
		*source_ip, *user_agent, *model, *error_code, *evidence, *member, *sha256;
} recq_hit;

/* After the last add: starts reading the kept headers by pos. */
lt_status recq_hits_read(recq *q, lt_error *err) LT_WUR;
/* The next kept header: true and *h, false at the end (or on an error). */
bool recq_hit_next(recq *q, recq_hit *h);

/* ---- the end -------------------------------------------------------------- */

/* Empties the tables (or rolls them back when st is not LT_OK), ends the
 * savepoint, puts the settings back and frees q. Returns st, or the first
 * error of the clean-up when st is LT_OK (err set). */
lt_status recq_close(recq *q, lt_status st, lt_error *err) LT_WUR;

#endif

/*
 * recq.h — the read-back of reconciliation's unmatched records for its
 * findings (analyzers/audit/reconcile.c): a TEMP table that keeps their
 * headers, in the report's order, until the findings are written. (The join
 * itself ran in TEMP tables here until wave 2 session 4; it now streams in
 * memory, analyzers/audit/recjoin.c.)
 *
 * A recq is a working session on the case's connection: the TEMP table
 * rc_hit on the read-only case, with query_only lifted, the TEMP page cache
 * raised to RECQ_TEMP_CACHE_KIB and all work inside a savepoint (one commit,
 * and it nests in a caller's transaction). recq_close empties the table
 * (emptied, not dropped: DROP is refused while another statement such as a
 * replay is active on the connection), ends the savepoint and puts the
 * settings back. Absent strings are NULL in the table.
 *
 * Ownership: recq_hits_open gives a recq that recq_close frees
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

/*
 * recq.c — the reconciliation's TEMP tables and their SQL (see recq.h).
 *
 * Moved from analyzers/audit/reconcile.c as it was (issue 15: no SQL outside
 * store/); the statements, their order and their error texts are unchanged,
 * so reconciliation finds the same matches and says the same things. What
 * stays in reconcile.c is the judgement: which calls count, weak-match model
 * compatibility, windows, coverage gaps and the findings.
 *
 * Indexes are built after the inserts (a sort, not a random insert per row);
 * the strong matches walk one request-id index in order so that the probes
 * into the other go in order too (the TEMP tables spill to a file past
 * their cache, and random probes cost a read each: 7 M rows, 42 s -> 25 s).
 */
#include "config.h"

#include "store/recq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/uuid.h"

struct recq {
	case_db *c;
	const char *teardown; /* SQL that empties this session's tables */
	int query_only;       /* settings put back by recq_close */
	int64_t cache_size;
	sqlite3_stmt *ins_ct, *ins_inv, *ins_ctl, *ins_hit, *read_hit;
	sqlite3_stmt *weak_q, *weak_ui, *weak_uc;
	char action[64]; /* recq_switch_off's answer (the longest action is 42 bytes) */
};

/* ---- SQL helpers -------------------------------------------------------- */

static lt_status sql_fail(case_db *c, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "reconcile: %s: %s", what, sqlite3_errmsg(case_sqlite(c)));
}

static lt_status exec(case_db *c, const char *sql, lt_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(case_sqlite(c), sql, NULL, NULL, &msg) != SQLITE_OK) {
		lt_status st = lt_error_set(err, LT_EFATAL, "reconcile: %s", msg ? msg : "SQL error");
		sqlite3_free(msg);
		return st;
	}
	return LT_OK;
}

static lt_status prepare(case_db *c, const char *sql, sqlite3_stmt **s, lt_error *err)
{
	if (sqlite3_prepare_v2(case_sqlite(c), sql, -1, s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "prepare");
	return LT_OK;
}

/* An absent (empty) string is NULL in the TEMP tables, as in the index. */
static void bind_str(sqlite3_stmt *s, int i, const char *p, size_t n)
{
	if (p == NULL || n == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text64(s, i, p, (sqlite3_uint64)n, SQLITE_STATIC, SQLITE_UTF8);
}

static void bind_cstr(sqlite3_stmt *s, int i, const char *p)
{
	bind_str(s, i, p, p ? strlen(p) : 0);
}

static void bind_ev(sqlite3_stmt *s, int i, ev_str v)
{
	bind_str(s, i, v.p, v.n);
}

/* Request ids that are canonical UUIDs as 16 bytes, as the index keeps them:
 * a smaller join index; equality is the same. */
static void bind_request_id(sqlite3_stmt *s, int i, ev_str v)
{
	unsigned char packed[16];
	if (v.n > 0 && lt_uuid_pack(v.p, v.n, packed))
		sqlite3_bind_blob(s, i, packed, sizeof packed, SQLITE_TRANSIENT);
	else
		bind_ev(s, i, v);
}

static int64_t count_of(case_db *c, const char *sql, int *ok)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;
	if (sqlite3_prepare_v2(case_sqlite(c), sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		*ok = 0;
	sqlite3_finalize(s);
	return n;
}

static ev_str col_str(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return (ev_str){t, t ? (size_t)sqlite3_column_bytes(s, i) : 0};
}

/* ---- the session -------------------------------------------------------- */

static lt_status set_temp(case_db *c, int query_only, int64_t cache_size, lt_error *err)
{
	char sql[96];
	snprintf(sql, sizeof sql, "PRAGMA query_only=%d; PRAGMA temp.cache_size=%lld", query_only,
	         (long long)cache_size);
	return exec(c, sql, err);
}

/* A read-only case is opened with query_only on; TEMP tables need it off
 * (the main database stays read-only through SQLITE_OPEN_READONLY). */
static lt_status writable_temp(recq *q, lt_error *err)
{
	int ok = 1;
	q->query_only = count_of(q->c, "PRAGMA query_only", &ok) != 0;
	q->cache_size = count_of(q->c, "PRAGMA temp.cache_size", &ok);
	if (!ok)
		return sql_fail(q->c, err, "pragma");
	lt_status st = set_temp(q->c, 0, -RECQ_TEMP_CACHE_KIB, err);
	if (st == LT_OK)
		st = exec(q->c, "SAVEPOINT reconcile", err);
	if (st != LT_OK) {
		lt_error e2;
		(void)set_temp(q->c, q->query_only, q->cache_size, &e2);
	}
	return st;
}

static void finalize_all(recq *q)
{
	sqlite3_stmt **all[] = {&q->ins_ct, &q->ins_inv, &q->ins_ctl, &q->ins_hit,
	                        &q->read_hit, &q->weak_q, &q->weak_ui, &q->weak_uc};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		sqlite3_finalize(*all[i]);
		*all[i] = NULL;
	}
}

lt_status recq_close(recq *q, lt_status st, lt_error *err)
{
	if (q == NULL)
		return st;
	finalize_all(q);
	case_db *c = q->c;
	lt_error e2, e3;
	lt_status td = exec(c, st == LT_OK ? q->teardown : "ROLLBACK TO reconcile", &e2);
	lt_status more = exec(c, "RELEASE reconcile", &e3);
	if (td == LT_OK && more != LT_OK) {
		td = more;
		e2 = e3;
	}
	more = set_temp(c, q->query_only, q->cache_size, &e3);
	if (td == LT_OK && more != LT_OK) {
		td = more;
		e2 = e3;
	}
	if (st == LT_OK && td != LT_OK) {
		*err = e2;
		st = td;
	}
	free(q);
	return st;
}

/* Starts a session whose tables setup creates (or empties) and teardown empties. */
static lt_status open_session(case_db *c, const char *setup, const char *teardown, recq **out, lt_error *err)
{
	*out = NULL;
	recq *q = calloc(1, sizeof *q);
	if (q == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	q->c = c;
	q->teardown = teardown;
	lt_status st = writable_temp(q, err);
	if (st != LT_OK) {
		free(q);
		return st;
	}
	st = exec(c, setup, err);
	if (st != LT_OK)
		return recq_close(q, st, err);
	*out = q;
	return LT_OK;
}

/* ---- the join ----------------------------------------------------------- */

/* id is the caller's name of the record; mid, off the member id and offset
 * (the tie-break); rk the rank among the records of the same time. */
static const char setup_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS rc_ct(id INTEGER PRIMARY KEY, time_us INTEGER, request_id TEXT,"
	" principal TEXT, model TEXT, account TEXT, region TEXT, error_code INTEGER, m INTEGER, mid INTEGER,"
	" off INTEGER, rk INTEGER);"
	"CREATE TEMP TABLE IF NOT EXISTS rc_inv(id INTEGER PRIMARY KEY, time_us INTEGER, request_id TEXT,"
	" principal TEXT, model TEXT, account TEXT, region TEXT, m INTEGER, mid INTEGER, off INTEGER, rk INTEGER);"
	"CREATE TEMP TABLE IF NOT EXISTS rc_ctl(id INTEGER PRIMARY KEY, time_us INTEGER, account TEXT, action TEXT);"
	"DELETE FROM rc_ct; DELETE FROM rc_inv; DELETE FROM rc_ctl;";

static const char teardown_sql[] = "DELETE FROM rc_ct; DELETE FROM rc_inv; DELETE FROM rc_ctl;";

/* A non-empty request id is one > ''. */
static const char match_sql[] =
	"CREATE INDEX IF NOT EXISTS temp.rc_ct_req ON rc_ct(request_id);"
	"CREATE INDEX IF NOT EXISTS temp.rc_inv_req ON rc_inv(request_id);"
	"CREATE INDEX IF NOT EXISTS temp.rc_inv_pt ON rc_inv(principal, time_us);"
	"CREATE INDEX IF NOT EXISTS temp.rc_ctl_at ON rc_ctl(account, time_us);"
	"UPDATE rc_ct SET m = 1 WHERE id IN (SELECT c.id FROM rc_ct c INDEXED BY rc_ct_req"
	" WHERE c.request_id > '' AND EXISTS (SELECT 1 FROM rc_inv i WHERE i.request_id = c.request_id)"
	" ORDER BY c.request_id);"
	"UPDATE rc_inv SET m = 1 WHERE id IN (SELECT i.id FROM rc_inv i INDEXED BY rc_inv_req"
	" WHERE i.request_id > '' AND EXISTS (SELECT 1 FROM rc_ct c WHERE c.request_id = i.request_id)"
	" ORDER BY i.request_id);";

lt_status recq_open(case_db *c, recq **out, lt_error *err)
{
	lt_status st = open_session(c, setup_sql, teardown_sql, out, err);
	if (st != LT_OK)
		return st;
	recq *q = *out;
	st = prepare(c,
	             "INSERT INTO rc_ct(id, time_us, request_id, principal, model, account, region,"
	             " error_code, mid, off, rk, m) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0)",
	             &q->ins_ct, err);
	if (st == LT_OK)
		st = prepare(c,
		             "INSERT INTO rc_inv(id, time_us, request_id, principal, model, account, region,"
		             " mid, off, rk, m) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)",
		             &q->ins_inv, err);
	if (st == LT_OK)
		st = prepare(c, "INSERT INTO rc_ctl(id, time_us, account, action) VALUES(?1, ?2, ?3, ?4)", &q->ins_ctl,
		             err);
	if (st != LT_OK) {
		*out = NULL;
		return recq_close(q, st, err);
	}
	return LT_OK;
}

/* Binds the columns rc_ct and rc_inv share (1..7, then mid, off, rk at tail..tail+2). */
static void bind_common(sqlite3_stmt *s, int64_t id, int64_t rank, const event *ev, int tail)
{
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, ev->time_us);
	bind_request_id(s, 3, ev->request_id);
	bind_ev(s, 4, ev->principal);
	bind_ev(s, 5, ev->model);
	bind_ev(s, 6, ev->account);
	bind_ev(s, 7, ev->region);
	sqlite3_bind_int64(s, tail, ev->prov ? ev->prov->member_id : 0);
	sqlite3_bind_int64(s, tail + 1, (int64_t)ev->offset);
	sqlite3_bind_int64(s, tail + 2, rank);
}

static lt_status step_insert(recq *q, sqlite3_stmt *s, lt_error *err)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? LT_OK : sql_fail(q->c, err, "insert");
}

lt_status recq_add_call(recq *q, int64_t id, int64_t rank, const event *ev, bool error, lt_error *err)
{
	bind_common(q->ins_ct, id, rank, ev, 9);
	if (error)
		sqlite3_bind_int(q->ins_ct, 8, 1);
	return step_insert(q, q->ins_ct, err);
}

lt_status recq_add_record(recq *q, int64_t id, int64_t rank, const event *ev, lt_error *err)
{
	bind_common(q->ins_inv, id, rank, ev, 8);
	return step_insert(q, q->ins_inv, err);
}

lt_status recq_add_control(recq *q, int64_t id, const event *ev, lt_error *err)
{
	sqlite3_bind_int64(q->ins_ctl, 1, id);
	sqlite3_bind_int64(q->ins_ctl, 2, ev->time_us);
	bind_ev(q->ins_ctl, 3, ev->account);
	bind_ev(q->ins_ctl, 4, ev->action);
	return step_insert(q, q->ins_ctl, err);
}

lt_status recq_match_requests(recq *q, recq_counts *n, lt_error *err)
{
	finalize_all(q); /* the adds are over */
	lt_status st = exec(q->c, match_sql, err);
	if (st != LT_OK)
		return st;
	int ok = 1;
	n->calls = (size_t)count_of(q->c, "SELECT count(*) FROM rc_ct", &ok);
	n->calls_error = (size_t)count_of(q->c, "SELECT count(*) FROM rc_ct WHERE error_code IS NOT NULL", &ok);
	n->records = (size_t)count_of(q->c, "SELECT count(*) FROM rc_inv", &ok);
	n->matched_request = (size_t)count_of(q->c, "SELECT count(*) FROM rc_ct WHERE m = 1", &ok);
	return ok ? LT_OK : sql_fail(q->c, err, "count");
}

lt_status recq_each_unmatched(recq *q, bool calls, lt_status (*fn)(void *ctx, const recq_row *row, lt_error *err),
                              void *ctx, lt_error *err)
{
	static const char unmatched_sql[] =
		"SELECT x.id, x.time_us, x.principal, x.account, x.region, x.model, %s, x.mid, x.off, x.rk FROM %s x"
		" WHERE x.m = 0 ORDER BY x.time_us, x.mid, x.off";
	char sql[256];
	snprintf(sql, sizeof sql, unmatched_sql, calls ? "x.error_code" : "NULL", calls ? "rc_ct" : "rc_inv");
	sqlite3_stmt *s = NULL;
	lt_status st = prepare(q->c, sql, &s, err);
	int rc = SQLITE_DONE;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		recq_row x = {
			.id = sqlite3_column_int64(s, 0),
			.time_us = sqlite3_column_int64(s, 1),
			.principal = col_str(s, 2),
			.account = col_str(s, 3),
			.region = col_str(s, 4),
			.model = col_str(s, 5),
			.has_error = sqlite3_column_type(s, 6) != SQLITE_NULL,
			.member_id = sqlite3_column_int64(s, 7),
			.offset = sqlite3_column_int64(s, 8),
			.rank = sqlite3_column_int64(s, 9),
		};
		st = fn(ctx, &x, err);
	}
	if (st == LT_OK && rc != SQLITE_DONE)
		st = sql_fail(q->c, err, "read");
	sqlite3_finalize(s);
	return st;
}

lt_status recq_weak_match(recq *q, int64_t call_id, const char *principal, int64_t t, int64_t tol_us,
                          int (*accept)(void *ctx, const char *model), void *ctx, int64_t *record,
                          lt_error *err)
{
	*record = 0;
	lt_status st = LT_OK;
	if (q->weak_q == NULL)
		st = prepare(q->c,
		             "SELECT i.id, i.model FROM rc_inv i"
		             " WHERE i.m = 0 AND i.principal IS ? AND i.time_us BETWEEN ? AND ?"
		             " ORDER BY abs(i.time_us - ?), i.mid, i.off",
		             &q->weak_q, err);
	if (st == LT_OK && q->weak_ui == NULL)
		st = prepare(q->c, "UPDATE rc_inv SET m = 2 WHERE id = ?", &q->weak_ui, err);
	if (st == LT_OK && q->weak_uc == NULL)
		st = prepare(q->c, "UPDATE rc_ct SET m = 2 WHERE id = ?", &q->weak_uc, err);
	if (st != LT_OK)
		return st;
	sqlite3_stmt *s = q->weak_q;
	sqlite3_reset(s);
	bind_cstr(s, 1, principal);
	sqlite3_bind_int64(s, 2, t - tol_us);
	sqlite3_bind_int64(s, 3, t + tol_us);
	sqlite3_bind_int64(s, 4, t);
	int64_t hit = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (accept(ctx, (const char *)sqlite3_column_text(s, 1))) {
			hit = sqlite3_column_int64(s, 0);
			break;
		}
	}
	sqlite3_reset(s);
	if (hit == 0)
		return LT_OK;
	*record = hit;
	sqlite3_reset(q->weak_ui);
	sqlite3_bind_int64(q->weak_ui, 1, hit);
	sqlite3_reset(q->weak_uc);
	sqlite3_bind_int64(q->weak_uc, 1, call_id);
	if (sqlite3_step(q->weak_ui) != SQLITE_DONE || sqlite3_step(q->weak_uc) != SQLITE_DONE)
		return sql_fail(q->c, err, "weak match");
	return LT_OK;
}

size_t recq_matched_between(recq *q, bool calls, const char *account, const char *region, int64_t from, int64_t to)
{
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM %s WHERE m > 0 AND account IS ? AND region IS ? AND time_us BETWEEN ? AND ?",
	         calls ? "rc_ct" : "rc_inv");
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	if (sqlite3_prepare_v2(case_sqlite(q->c), sql, -1, &s, NULL) == SQLITE_OK) {
		bind_cstr(s, 1, account);
		bind_cstr(s, 2, region);
		sqlite3_bind_int64(s, 3, from);
		sqlite3_bind_int64(s, 4, to);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = (size_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return n;
}

/* One row (action, time) of rc_ctl for account in [from, to] by sql. */
static bool ctl_call(recq *q, const char *sql, const char *account, int64_t from, int64_t to, const char **action,
                     int64_t *time_us)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(case_sqlite(q->c), sql, -1, &s, NULL) != SQLITE_OK)
		return false;
	bind_cstr(s, 1, account);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	if (found) {
		snprintf(q->action, sizeof q->action, "%s", (const char *)sqlite3_column_text(s, 0));
		*action = q->action;
		*time_us = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return found;
}

#define CTL_SELECT "SELECT action, time_us FROM rc_ctl WHERE account IS ? AND time_us BETWEEN ? AND ?"
#define CTL_INV_ACTIONS " AND action IN ('DeleteModelInvocationLoggingConfiguration', 'PutModelInvocationLoggingConfiguration')"

bool recq_logging_call_after(recq *q, const char *account, int64_t from, int64_t to, const char **action,
                             int64_t *time_us)
{
	static const char sql[] = CTL_SELECT CTL_INV_ACTIONS " ORDER BY time_us ASC, id ASC LIMIT 1";
	return ctl_call(q, sql, account, from, to, action, time_us);
}

bool recq_switch_off(recq *q, bool cloudtrail, const char *account, int64_t from, int64_t to, const char **action,
                     int64_t *time_us)
{
	static const char ct_sql[] = CTL_SELECT " AND action IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', "
	                             "'PutEventSelectors') ORDER BY time_us DESC, id DESC LIMIT 1";
	static const char inv_sql[] = CTL_SELECT CTL_INV_ACTIONS " ORDER BY time_us DESC, id DESC LIMIT 1";
	return ctl_call(q, cloudtrail ? ct_sql : inv_sql, account, from, to, action, time_us);
}

/* ---- the read-back of records ------------------------------------------- */

static const char hit_setup_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS rc_hit(pos INTEGER PRIMARY KEY, time_us INTEGER, source TEXT, uid TEXT,"
	" request_id TEXT, action TEXT, service TEXT, principal TEXT, access_key TEXT, account TEXT, region TEXT,"
	" source_ip TEXT, user_agent TEXT, model TEXT, error_code TEXT, input_tokens INTEGER,"
	" output_tokens INTEGER, latency_ms INTEGER, line INTEGER, evidence TEXT, member TEXT, sha256 TEXT);"
	"DELETE FROM rc_hit;";

static const char hit_teardown_sql[] = "DELETE FROM rc_hit;";

lt_status recq_hits_open(case_db *c, recq **out, lt_error *err)
{
	lt_status st = open_session(c, hit_setup_sql, hit_teardown_sql, out, err);
	if (st != LT_OK)
		return st;
	st = prepare(c,
	             "INSERT INTO rc_hit VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	             " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
	             &(*out)->ins_hit, err);
	if (st != LT_OK) {
		recq *q = *out;
		*out = NULL;
		return recq_close(q, st, err);
	}
	return LT_OK;
}

lt_status recq_hit_add(recq *q, int64_t pos, const event *ev, lt_error *err)
{
	sqlite3_stmt *s = q->ins_hit;
	const ev_str strs[] = {ev->uid,        ev->request_id, ev->action,     ev->service,    ev->principal,
	                       ev->access_key, ev->account,    ev->region,     ev->source_ip,  ev->user_agent,
	                       ev->model,      ev->error_code};
	sqlite3_bind_int64(s, 1, pos);
	sqlite3_bind_int64(s, 2, ev->time_us);
	bind_cstr(s, 3, ev_source_name(ev->source));
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		bind_ev(s, 4 + (int)i, strs[i]);
	sqlite3_bind_int64(s, 16, ev->input_tokens);
	sqlite3_bind_int64(s, 17, ev->output_tokens);
	sqlite3_bind_int64(s, 18, ev->latency_ms);
	sqlite3_bind_int64(s, 19, (int64_t)ev->line);
	bind_cstr(s, 20, ev->prov ? ev->prov->evidence : NULL);
	bind_cstr(s, 21, ev->prov ? ev->prov->member : NULL);
	bind_cstr(s, 22, ev->prov ? ev->prov->sha256 : NULL);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? LT_OK : sql_fail(q->c, err, "insert");
}

lt_status recq_hits_read(recq *q, lt_error *err)
{
	sqlite3_finalize(q->ins_hit); /* the adds are over */
	q->ins_hit = NULL;
	return prepare(q->c,
	               "SELECT time_us, source, uid, request_id, action, service, principal, access_key, account,"
	               " region, source_ip, user_agent, model, error_code, input_tokens, output_tokens, latency_ms,"
	               " line, evidence, member, sha256, pos FROM rc_hit ORDER BY pos",
	               &q->read_hit, err);
}

bool recq_hit_next(recq *q, recq_hit *h)
{
	sqlite3_stmt *s = q->read_hit;
	if (s == NULL || sqlite3_step(s) != SQLITE_ROW)
		return false;
#define T(i) ((const char *)sqlite3_column_text(s, i))
	*h = (recq_hit){
		.time_us = sqlite3_column_int64(s, 0),
		.source = T(1),
		.uid = T(2),
		.request_id = T(3),
		.action = T(4),
		.service = T(5),
		.principal = T(6),
		.access_key = T(7),
		.account = T(8),
		.region = T(9),
		.source_ip = T(10),
		.user_agent = T(11),
		.model = T(12),
		.error_code = T(13),
		.input_tokens = sqlite3_column_int64(s, 14),
		.output_tokens = sqlite3_column_int64(s, 15),
		.latency_ms = sqlite3_column_int64(s, 16),
		.line = (uint64_t)sqlite3_column_int64(s, 17),
		.evidence = T(18),
		.member = T(19),
		.sha256 = T(20),
		.pos = sqlite3_column_int64(s, 21),
	};
#undef T
	return true;
}

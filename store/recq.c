/*
 * recq.c — the TEMP table of reconciliation's read-back (see recq.h).
 *
 * Moved from analyzers/audit/reconcile.c (issue 15: no SQL outside store/).
 * The join itself left SQLite in wave 2 session 4: it streams in memory
 * (analyzers/audit/recjoin.c); what stays here is the table that keeps the
 * headers of the records the report names until they are written in order.
 */
#include "config.h"

#include "store/recq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>


struct recq {
	case_db *c;
	const char *teardown; /* SQL that empties this session's tables */
	int query_only;       /* settings put back by recq_close */
	int64_t cache_size;
	sqlite3_stmt *ins_hit, *read_hit;
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
	sqlite3_stmt **all[] = {&q->ins_hit, &q->read_hit};
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

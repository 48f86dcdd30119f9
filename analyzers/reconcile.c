/*
 * reconcile.c — CloudTrail <-> invocation-log join and coverage gaps (see
 * reconcile.h, docs/integrity.md).
 *
 * The join is SQL over TEMP tables (rc_ct, rc_inv) filled from the events
 * table, so the read-only case is not touched and memory stays in SQLite
 * (the tables are emptied, not dropped, afterwards, so that the join can run
 * while a replay is open on the same connection):
 * strong matches by request id in two UPDATEs, then weak matches one
 * unmatched call at a time (an indexed lookup by principal and time).
 * Unmatched ids are read into memory, sorted by account, region and time,
 * and cut into windows.
 * Coverage gaps: one ordered pass over the events (events_time index) keeps
 * per series (source, account, region) an hourly count array and the
 * stretches of at least RECONCILE_GAP_MIN_US without a record. A stretch is a
 * gap when a day or longer, or when (a) the quieter of the hour before and the
 * hour after predicts at least GAP_POISSON records in it (P(none) <= e^-10)
 * and (b) on the other days of the series the same clock hours had records at
 * least RECONCILE_GAP_EXPECTED of the time (or there is no other day to ask).
 */
#include "config.h"
#include "common/sort.h"

#include "analyzers/reconcile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "analyzers/builtin_rules.h"
#include "common/arena.h"
#include "common/ltime.h"
#include "ingest/json.h"
#include "reports/strmap.h"

#define HOUR_US (3600LL * 1000000LL)
#define DAY_US (24 * HOUR_US)
#define GAP_POISSON 10.0
#define MAX_SERIES 1000 /* (source, account, region) series judged for gaps */
#define MAX_GAP_CANDIDATES 100000
#define MAX_HOURS (24 * 366 * 3)

typedef struct rec {
	int64_t id, time_us, principal, account, region;
	const char *model;
	int has_error;
} rec;

typedef struct win_ex {
	reconcile_window pub;
	size_t first_id; /* index into ids */
	int64_t account_id, region_id;
} win_ex;

struct reconcile_result {
	arena *a;
	reconcile_summary sum;
	int applicable;
	win_ex *w;
	size_t nw, aw;
	int64_t *ids;
	size_t nids, aids;
	reconcile_window *out;
};

void reconcile_options_init(reconcile_options *o)
{
	o->claimed_from_us = INT64_MIN;
	o->claimed_until_us = INT64_MAX;
}

void reconcile_result_free(reconcile_result *r)
{
	if (r == NULL)
		return;
	arena_free(r->a);
	free(r->w);
	free(r->ids);
	free(r->out);
	free(r);
}

const reconcile_summary *reconcile_get_summary(const reconcile_result *r)
{
	return &r->sum;
}

size_t reconcile_nwindows(const reconcile_result *r)
{
	return r->nw;
}

const reconcile_window *reconcile_window_at(const reconcile_result *r, size_t i)
{
	return &r->out[i];
}

int reconcile_applicable(const reconcile_result *r)
{
	return r->applicable;
}

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

static void bind_id(sqlite3_stmt *s, int i, int64_t id)
{
	if (id > 0)
		sqlite3_bind_int64(s, i, id);
	else
		sqlite3_bind_null(s, i);
}

static int64_t col_id(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

static const char *str_of(reconcile_result *r, case_db *c, int64_t id)
{
	if (id <= 0)
		return "";
	sqlite3_stmt *s = NULL;
	const char *out = "";
	if (sqlite3_prepare_v2(case_sqlite(c), "SELECT s FROM strs WHERE id = ?", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(s, 0);
			const char *d = t ? arena_strndup(r->a, t, strlen(t)) : NULL;
			out = d ? d : "";
		}
	}
	sqlite3_finalize(s);
	return out;
}

/* The TEMP tables are created once per connection and emptied after use
 * (DROP TABLE is refused while another statement, e.g. a replay, is active
 * on the connection; DELETE is not). */
static const char setup_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS rc_ct(id INTEGER, time_us INTEGER, request_id TEXT, principal INTEGER,"
	" model INTEGER, account INTEGER, region INTEGER, error_code INTEGER, m INTEGER);"
	"CREATE TEMP TABLE IF NOT EXISTS rc_inv(id INTEGER, time_us INTEGER, request_id TEXT, principal INTEGER,"
	" model INTEGER, account INTEGER, region INTEGER, m INTEGER);"
	"CREATE INDEX IF NOT EXISTS temp.rc_ct_req ON rc_ct(request_id);"
	"CREATE INDEX IF NOT EXISTS temp.rc_inv_req ON rc_inv(request_id);"
	"CREATE INDEX IF NOT EXISTS temp.rc_inv_pt ON rc_inv(principal, time_us);"
	"DELETE FROM rc_ct; DELETE FROM rc_inv;"
	"INSERT INTO rc_ct SELECT e.id, e.time_us, e.request_id, e.principal, e.model, e.account,"
	" e.region, e.error_code, 0 FROM events e"
	" WHERE e.source = 1 AND e.service IN (SELECT id FROM strs WHERE s = 'bedrock.amazonaws.com')"
	" AND e.action IN (SELECT id FROM strs WHERE s IN ('InvokeModel', 'InvokeModelWithResponseStream',"
	" 'Converse', 'ConverseStream'));"
	"INSERT INTO rc_inv SELECT e.id, e.time_us, e.request_id, e.principal, e.model, e.account,"
	" e.region, 0 FROM events e WHERE e.source = 2;"
	"UPDATE rc_ct SET m = 1 WHERE request_id IS NOT NULL AND request_id <> ''"
	" AND EXISTS (SELECT 1 FROM rc_inv i WHERE i.request_id = rc_ct.request_id);"
	"UPDATE rc_inv SET m = 1 WHERE request_id IS NOT NULL AND request_id <> ''"
	" AND EXISTS (SELECT 1 FROM rc_ct c WHERE c.request_id = rc_inv.request_id);";

static const char teardown_sql[] = "DELETE FROM rc_ct; DELETE FROM rc_inv;";

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

/* ---- weak matches --------------------------------------------------------- */

static int model_compatible(const char *a, const char *b)
{
	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0')
		return 1;
	if (strcmp(a, b) == 0)
		return 1;
	size_t la = strlen(a), lb = strlen(b);
	if (la > lb && a[la - lb - 1] == '/' && strcmp(a + la - lb, b) == 0)
		return 1;
	if (lb > la && b[lb - la - 1] == '/' && strcmp(b + lb - la, a) == 0)
		return 1;
	return 0;
}

typedef struct recs {
	rec *v;
	size_t n, alloc;
} recs;

static lt_status load_unmatched(reconcile_result *r, case_db *c, const char *sql, recs *out, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	lt_status st = prepare(c, sql, &s, err);
	int rc = SQLITE_DONE;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (out->n == out->alloc) {
			size_t na = out->alloc ? out->alloc * 2 : 256;
			rec *nv = realloc(out->v, na * sizeof *nv);
			if (nv == NULL) {
				st = lt_error_set(err, LT_EFATAL, "out of memory");
				break;
			}
			out->v = nv;
			out->alloc = na;
		}
		rec *x = &out->v[out->n++];
		x->id = sqlite3_column_int64(s, 0);
		x->time_us = sqlite3_column_int64(s, 1);
		x->principal = col_id(s, 2);
		x->account = col_id(s, 3);
		x->region = col_id(s, 4);
		const char *m = (const char *)sqlite3_column_text(s, 5);
		x->model = m ? arena_strndup(r->a, m, strlen(m)) : NULL;
		x->has_error = sqlite3_column_type(s, 6) != SQLITE_NULL;
	}
	if (st == LT_OK && rc != SQLITE_DONE)
		st = sql_fail(c, err, "read");
	sqlite3_finalize(s);
	return st;
}

static lt_status weak_match(reconcile_result *r, case_db *c, recs *ct, lt_error *err)
{
	sqlite3_stmt *q = NULL, *ui = NULL, *uc = NULL;
	lt_status st = prepare(c,
	                       "SELECT i.id, m.s FROM rc_inv i LEFT JOIN strs m ON m.id = i.model"
	                       " WHERE i.m = 0 AND i.principal IS ? AND i.time_us BETWEEN ? AND ?"
	                       " ORDER BY abs(i.time_us - ?), i.id",
	                       &q, err);
	if (st == LT_OK)
		st = prepare(c, "UPDATE rc_inv SET m = 2 WHERE id = ?", &ui, err);
	if (st == LT_OK)
		st = prepare(c, "UPDATE rc_ct SET m = 2 WHERE id = ?", &uc, err);
	size_t keep = 0;
	for (size_t k = 0; st == LT_OK && k < ct->n; k++) {
		rec *x = &ct->v[k];
		sqlite3_reset(q);
		bind_id(q, 1, x->principal);
		sqlite3_bind_int64(q, 2, x->time_us - RECONCILE_WEAK_US);
		sqlite3_bind_int64(q, 3, x->time_us + RECONCILE_WEAK_US);
		sqlite3_bind_int64(q, 4, x->time_us);
		int64_t hit = 0;
		while (sqlite3_step(q) == SQLITE_ROW) {
			if (model_compatible(x->model, (const char *)sqlite3_column_text(q, 1))) {
				hit = sqlite3_column_int64(q, 0);
				break;
			}
		}
		sqlite3_reset(q);
		if (hit == 0) {
			ct->v[keep++] = *x;
			continue;
		}
		sqlite3_reset(ui);
		sqlite3_bind_int64(ui, 1, hit);
		sqlite3_reset(uc);
		sqlite3_bind_int64(uc, 1, x->id);
		if (sqlite3_step(ui) != SQLITE_DONE || sqlite3_step(uc) != SQLITE_DONE)
			st = sql_fail(c, err, "weak match");
		r->sum.matched_weak++;
	}
	if (st == LT_OK)
		ct->n = keep;
	sqlite3_finalize(q);
	sqlite3_finalize(ui);
	sqlite3_finalize(uc);
	return st;
}

/* ---- windows -------------------------------------------------------------- */

static int cmp_rec(const void *a, const void *b)
{
	const rec *x = a, *y = b;
	if (x->account != y->account)
		return x->account < y->account ? -1 : 1;
	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static win_ex *new_window(reconcile_result *r)
{
	if (r->nw == r->aw) {
		size_t na = r->aw ? r->aw * 2 : 16;
		win_ex *nv = realloc(r->w, na * sizeof *nv);
		if (nv == NULL)
			return NULL;
		r->w = nv;
		r->aw = na;
	}
	win_ex *w = &r->w[r->nw++];
	memset(w, 0, sizeof *w);
	w->pub.cause = "";
	return w;
}

static lt_status push_id(reconcile_result *r, int64_t id)
{
	if (r->nids == r->aids) {
		size_t na = r->aids ? r->aids * 2 : 256;
		int64_t *nv = realloc(r->ids, na * sizeof *nv);
		if (nv == NULL)
			return LT_EFATAL;
		r->ids = nv;
		r->aids = na;
	}
	r->ids[r->nids++] = id;
	return LT_OK;
}

/* matched calls (rc_ct) or records (rc_inv) of account/region inside the span */
static size_t matched_in(case_db *c, const char *table, const win_ex *w)
{
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM %s WHERE m > 0 AND account IS ? AND region IS ? AND time_us BETWEEN ? AND ?",
	         table);
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	if (sqlite3_prepare_v2(case_sqlite(c), sql, -1, &s, NULL) == SQLITE_OK) {
		bind_id(s, 1, w->account_id);
		bind_id(s, 2, w->region_id);
		sqlite3_bind_int64(s, 3, w->pub.first_us);
		sqlite3_bind_int64(s, 4, w->pub.last_us);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = (size_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return n;
}

static lt_status make_windows(reconcile_result *r, case_db *c, rec *v, size_t n, reconcile_kind kind,
                              lt_error *err)
{
	lt_sort(v, n, sizeof *v, cmp_rec);
	win_ex *w = NULL;
	for (size_t i = 0; i < n; i++) {
		const rec *x = &v[i];
		if (w == NULL || x->account != w->account_id || x->region != w->region_id ||
		    x->time_us - w->pub.last_us > RECONCILE_JOIN_US) {
			if (w != NULL)
				w->pub.matched = matched_in(c, kind == RECONCILE_CT_ONLY ? "rc_ct" : "rc_inv", w);
			w = new_window(r);
			if (w == NULL)
				return lt_error_set(err, LT_EFATAL, "out of memory");
			w->pub.kind = kind;
			w->account_id = x->account;
			w->region_id = x->region;
			w->pub.account = str_of(r, c, x->account);
			w->pub.region = str_of(r, c, x->region);
			w->pub.first_us = x->time_us;
			w->first_id = r->nids;
		}
		w->pub.last_us = x->time_us;
		w->pub.count++;
		if (push_id(r, x->id) != LT_OK)
			return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	if (w != NULL)
		w->pub.matched = matched_in(c, kind == RECONCILE_CT_ONLY ? "rc_ct" : "rc_inv", w);
	return LT_OK;
}

/* ---- coverage gaps --------------------------------------------------------- */

typedef struct series {
	int source;
	int64_t account, region;
	int64_t first_us, last_us;
	uint32_t *hours; /* from the case's first hour; NULL if the case is too long */
} series;

typedef struct gapc {
	size_t series;
	int64_t from_us, to_us;
} gapc;

typedef struct gapscan {
	series *s;
	size_t ns;
	strmap *index; /* (source, account, region) -> series + 1 */
	gapc *g;
	size_t ng, ag;
	int64_t h0;      /* first hour of the case (us) */
	size_t nhours;
} gapscan;

static size_t series_of(gapscan *gs, int source, int64_t account, int64_t region)
{
	unsigned char key[17];
	key[0] = (unsigned char)source;
	memcpy(key + 1, &account, 8);
	memcpy(key + 9, &region, 8);
	const uint64_t *found = strmap_find(gs->index, key, sizeof key);
	if (found)
		return (size_t)*found - 1;
	if (gs->ns >= MAX_SERIES)
		return SIZE_MAX;
	uint64_t *slot = strmap_slot(gs->index, key, sizeof key, true, NULL);
	if (slot == NULL)
		return SIZE_MAX - 1;
	series *s = &gs->s[gs->ns];
	memset(s, 0, sizeof *s);
	s->source = source;
	s->account = account;
	s->region = region;
	s->first_us = INT64_MIN;
	if (gs->nhours > 0) {
		s->hours = calloc(gs->nhours, sizeof *s->hours);
		if (s->hours == NULL)
			return SIZE_MAX - 1;
	}
	*slot = ++gs->ns;
	return gs->ns - 1;
}

static int add_gap(gapscan *gs, size_t si, int64_t from, int64_t to)
{
	if (gs->ng >= MAX_GAP_CANDIDATES)
		return 0;
	if (gs->ng == gs->ag) {
		size_t na = gs->ag ? gs->ag * 2 : 64;
		gapc *nv = realloc(gs->g, na * sizeof *nv);
		if (nv == NULL)
			return -1;
		gs->g = nv;
		gs->ag = na;
	}
	gs->g[gs->ng++] = (gapc){si, from, to};
	return 0;
}

static int64_t floor_hour(int64_t t)
{
	int64_t h = t / HOUR_US * HOUR_US;
	return h > t ? h - HOUR_US : h;
}

static lt_status scan_series(case_db *c, gapscan *gs, lt_error *err)
{
	int ok = 1;
	int64_t lo = count_of(c, "SELECT min(time_us) FROM events WHERE source IN (1, 2)", &ok);
	int64_t hi = count_of(c, "SELECT max(time_us) FROM events WHERE source IN (1, 2)", &ok);
	if (!ok)
		return sql_fail(c, err, "time range");
	gs->h0 = floor_hour(lo);
	int64_t nh = (hi - gs->h0) / HOUR_US + 1;
	gs->nhours = nh > 0 && nh <= MAX_HOURS ? (size_t)nh : 0;
	gs->s = calloc(MAX_SERIES, sizeof *gs->s);
	gs->index = strmap_new(0);
	if (gs->s == NULL || gs->index == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	sqlite3_stmt *s = NULL;
	lt_status st = prepare(c,
	                       "SELECT source, account, region, time_us FROM events WHERE source IN (1, 2)"
	                       " ORDER BY time_us",
	                       &s, err);
	int rc = SQLITE_DONE;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t si = series_of(gs, sqlite3_column_int(s, 0), col_id(s, 1), col_id(s, 2));
		if (si == SIZE_MAX - 1)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
		if (si >= SIZE_MAX - 1)
			continue;
		series *x = &gs->s[si];
		int64_t t = sqlite3_column_int64(s, 3);
		if (x->first_us == INT64_MIN)
			x->first_us = t;
		else if (t - x->last_us >= RECONCILE_GAP_MIN_US && add_gap(gs, si, x->last_us, t) < 0)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
		x->last_us = t;
		if (x->hours)
			x->hours[(t - gs->h0) / HOUR_US]++;
	}
	if (st == LT_OK && rc != SQLITE_DONE)
		st = sql_fail(c, err, "scan");
	sqlite3_finalize(s);
	return st;
}

/* records of the series in (from, to] */
static double count_between(case_db *c, const series *x, int64_t from, int64_t to)
{
	sqlite3_stmt *s = NULL;
	double n = 0;
	if (sqlite3_prepare_v2(case_sqlite(c),
	                       "SELECT count(*) FROM events WHERE time_us > ? AND time_us <= ? AND source = ?"
	                       " AND account IS ? AND region IS ?",
	                       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2, to);
		sqlite3_bind_int(s, 3, x->source);
		bind_id(s, 4, x->account);
		bind_id(s, 5, x->region);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = (double)sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return n;
}

/* Share of other days, inside the series' span and outside this gap, whose
 * same clock hours had records; -1 when there is no such day. */
static double other_days_share(const series *x, const gapscan *gs, int64_t from, int64_t to)
{
	if (x->hours == NULL)
		return -1;
	size_t active = 0, total = 0;
	for (int64_t h = floor_hour(from) + HOUR_US; h + HOUR_US <= to; h += HOUR_US) {
		for (int64_t o = h - 40 * DAY_US; o <= h + 40 * DAY_US; o += DAY_US) {
			if ((o >= from && o < to) || o < floor_hour(x->first_us) || o > x->last_us)
				continue;
			int64_t i = (o - gs->h0) / HOUR_US;
			if (i < 0 || (size_t)i >= gs->nhours)
				continue;
			total++;
			active += x->hours[i] > 0;
		}
	}
	return total ? (double)active / (double)total : -1;
}

/* A call in the same account shortly before the gap that switches the
 * source off: the gap's cause. "" when none. */
static const char *gap_cause(reconcile_result *r, case_db *c, const series *x, int64_t from)
{
	static const char ct_sql[] =
		"SELECT a.s, e.time_us FROM events e JOIN strs a ON a.id = e.action WHERE e.source = 1"
		" AND e.account IS ? AND e.time_us BETWEEN ? AND ?"
		" AND a.s IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors')"
		" ORDER BY e.time_us DESC LIMIT 1";
	static const char inv_sql[] =
		"SELECT a.s, e.time_us FROM events e JOIN strs a ON a.id = e.action WHERE e.source = 1"
		" AND e.account IS ? AND e.time_us BETWEEN ? AND ?"
		" AND a.s IN ('DeleteModelInvocationLoggingConfiguration', 'PutModelInvocationLoggingConfiguration')"
		" ORDER BY e.time_us DESC LIMIT 1";
	sqlite3_stmt *s = NULL;
	const char *out = "";
	if (sqlite3_prepare_v2(case_sqlite(c), x->source == 1 ? ct_sql : inv_sql, -1, &s, NULL) != SQLITE_OK)
		return out;
	bind_id(s, 1, x->account);
	sqlite3_bind_int64(s, 2, from - RECONCILE_CAUSE_US);
	sqlite3_bind_int64(s, 3, from + RECONCILE_CAUSE_US);
	if (sqlite3_step(s) == SQLITE_ROW) {
		char t[LTIME_BUFSZ], text[128];
		ltime_format(sqlite3_column_int64(s, 1), 0, t);
		snprintf(text, sizeof text, "%s at %s", (const char *)sqlite3_column_text(s, 0), t);
		const char *d = arena_strndup(r->a, text, strlen(text));
		out = d ? d : "";
	}
	sqlite3_finalize(s);
	return out;
}

static lt_status judge_gaps(reconcile_result *r, case_db *c, gapscan *gs, lt_error *err)
{
	for (size_t i = 0; i < gs->ng; i++) {
		const gapc *g = &gs->g[i];
		const series *x = &gs->s[g->series];
		int64_t len = g->to_us - g->from_us;
		/* the hour before the gap (ending with its last record) and after (from its first) */
		double before = count_between(c, x, g->from_us - HOUR_US, g->from_us);
		double after = count_between(c, x, g->to_us - 1, g->to_us + HOUR_US - 1);
		double rate = before < after ? before : after;
		double expect = rate * (double)len / (double)HOUR_US;
		double share = other_days_share(x, gs, g->from_us, g->to_us);
		int whole_day = len >= DAY_US;
		if (!whole_day && (expect < GAP_POISSON || (share >= 0 && share < RECONCILE_GAP_EXPECTED)))
			continue;
		win_ex *w = new_window(r);
		if (w == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		w->pub.kind = x->source == 1 ? RECONCILE_GAP_CT : RECONCILE_GAP_INV;
		w->account_id = x->account;
		w->region_id = x->region;
		w->pub.account = str_of(r, c, x->account);
		w->pub.region = str_of(r, c, x->region);
		w->pub.first_us = g->from_us;
		w->pub.last_us = g->to_us;
		w->pub.expected = share;
		w->pub.predicted = (size_t)expect;
		w->pub.cause = gap_cause(r, c, x, g->from_us);
		w->first_id = r->nids;
		r->sum.gaps++;
	}
	return LT_OK;
}

static lt_status claimed_edges(gapscan *gs, const reconcile_options *o)
{
	for (size_t i = 0; i < gs->ns; i++) {
		const series *x = &gs->s[i];
		if (x->source != 1 || x->first_us == INT64_MIN)
			continue;
		if (o->claimed_from_us != INT64_MIN && x->first_us - o->claimed_from_us >= RECONCILE_GAP_MIN_US &&
		    add_gap(gs, i, o->claimed_from_us, x->first_us) < 0)
			return LT_EFATAL;
		if (o->claimed_until_us != INT64_MAX && o->claimed_until_us - x->last_us >= RECONCILE_GAP_MIN_US &&
		    add_gap(gs, i, x->last_us, o->claimed_until_us) < 0)
			return LT_EFATAL;
	}
	return LT_OK;
}

/* Is t inside a CloudTrail gap (or outside CloudTrail's span) for account/region? */
static int ct_silent(const reconcile_result *r, const gapscan *gs, int64_t account, int64_t region, int64_t t)
{
	int seen = 0;
	for (size_t i = 0; i < gs->ns; i++) {
		const series *x = &gs->s[i];
		if (x->source == 1 && x->account == account && x->region == region) {
			seen = 1;
			if (t < x->first_us || t > x->last_us)
				return 1;
		}
	}
	if (!seen)
		return 1;
	for (size_t i = 0; i < r->nw; i++) {
		const win_ex *w = &r->w[i];
		if (w->pub.kind == RECONCILE_GAP_CT && w->account_id == account && w->region_id == region &&
		    t > w->pub.first_us && t < w->pub.last_us)
			return 1;
	}
	return 0;
}

static void free_scan(gapscan *gs)
{
	for (size_t i = 0; gs->s && i < gs->ns; i++)
		free(gs->s[i].hours);
	free(gs->s);
	free(gs->g);
	strmap_free(gs->index);
}

/* ---- the run ---------------------------------------------------------------- */

static lt_status run(reconcile_result *r, case_db *c, const reconcile_options *o, lt_error *err)
{
	gapscan gs;
	memset(&gs, 0, sizeof gs);
	recs ct = {0}, inv = {0};
	int ok = 1;
	/* A read-only case is opened with query_only on; TEMP tables need it off
	 * (the main database stays read-only through SQLITE_OPEN_READONLY). */
	int64_t query_only = count_of(c, "PRAGMA query_only", &ok);
	lt_status st = query_only ? exec(c, "PRAGMA query_only=0", err) : LT_OK;
	if (st == LT_OK)
		st = exec(c, setup_sql, err);
	if (st == LT_OK) {
		r->sum.ct_calls = (size_t)count_of(c, "SELECT count(*) FROM rc_ct", &ok);
		r->sum.ct_calls_error = (size_t)count_of(c, "SELECT count(*) FROM rc_ct WHERE error_code IS NOT NULL", &ok);
		r->sum.inv_records = (size_t)count_of(c, "SELECT count(*) FROM rc_inv", &ok);
		r->sum.matched_request = (size_t)count_of(c, "SELECT count(*) FROM rc_ct WHERE m = 1", &ok);
		if (!ok)
			st = sql_fail(c, err, "count");
	}
	r->applicable = r->sum.ct_calls > 0 && r->sum.inv_records > 0;
	static const char unmatched_sql[] =
		"SELECT x.id, x.time_us, x.principal, x.account, x.region, m.s, %s FROM %s x"
		" LEFT JOIN strs m ON m.id = x.model WHERE x.m = 0 ORDER BY x.time_us, x.id";
	char sql[256];
	if (st == LT_OK) {
		snprintf(sql, sizeof sql, unmatched_sql, "x.error_code", "rc_ct");
		st = load_unmatched(r, c, sql, &ct, err);
	}
	if (st == LT_OK && r->sum.inv_records > 0)
		st = weak_match(r, c, &ct, err);
	if (st == LT_OK) {
		snprintf(sql, sizeof sql, unmatched_sql, "NULL", "rc_inv");
		st = load_unmatched(r, c, sql, &inv, err);
	}
	if (st == LT_OK)
		st = scan_series(c, &gs, err);
	if (st == LT_OK && claimed_edges(&gs, o) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	if (st == LT_OK)
		st = judge_gaps(r, c, &gs, err);
	if (st == LT_OK && r->applicable) {
		size_t keep = 0;
		for (size_t i = 0; i < ct.n; i++) {
			if (ct.v[i].has_error)
				r->sum.ct_only_error++;
			else
				ct.v[keep++] = ct.v[i];
		}
		r->sum.ct_only = keep;
		st = make_windows(r, c, ct.v, keep, RECONCILE_CT_ONLY, err);
		keep = 0;
		for (size_t i = 0; st == LT_OK && i < inv.n; i++) {
			if (ct_silent(r, &gs, inv.v[i].account, inv.v[i].region, inv.v[i].time_us))
				r->sum.inv_only_uncovered++;
			else
				inv.v[keep++] = inv.v[i];
		}
		r->sum.inv_only = keep;
		if (st == LT_OK)
			st = make_windows(r, c, inv.v, keep, RECONCILE_INV_ONLY, err);
	}
	free(ct.v);
	free(inv.v);
	free_scan(&gs);
	lt_error e2;
	lt_status td = exec(c, teardown_sql, &e2);
	if (query_only && td == LT_OK)
		td = exec(c, "PRAGMA query_only=1", &e2);
	if (st == LT_OK && td != LT_OK) {
		*err = e2;
		st = td;
	}
	return st;
}

static int cmp_window(const void *a, const void *b)
{
	const win_ex *x = a, *y = b;
	if (x->pub.first_us != y->pub.first_us)
		return x->pub.first_us < y->pub.first_us ? -1 : 1;
	if (x->pub.kind != y->pub.kind)
		return x->pub.kind < y->pub.kind ? -1 : 1;
	int c = strcmp(x->pub.account, y->pub.account);
	return c ? c : strcmp(x->pub.region, y->pub.region);
}

lt_status reconcile_case(case_db *c, const reconcile_options *o, reconcile_result **out, lt_error *err)
{
	reconcile_options def;
	if (o == NULL) {
		reconcile_options_init(&def);
		o = &def;
	}
	*out = NULL;
	reconcile_result *r = calloc(1, sizeof *r);
	if (r == NULL || (r->a = arena_new(0, 0)) == NULL) {
		free(r);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	lt_status st = run(r, c, o, err);
	if (st == LT_OK) {
		lt_sort(r->w, r->nw, sizeof *r->w, cmp_window);
		r->out = malloc((r->nw ? r->nw : 1) * sizeof *r->out);
		if (r->out == NULL)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
		for (size_t i = 0; st == LT_OK && i < r->nw; i++) {
			r->out[i] = r->w[i].pub;
			r->out[i].ids = r->w[i].pub.count ? r->ids + r->w[i].first_id : NULL;
		}
	}
	if (st != LT_OK) {
		reconcile_result_free(r);
		return st;
	}
	*out = r;
	return LT_OK;
}

/* ---- report ------------------------------------------------------------------ */

enum { R_GAP_LOGGING, R_CT_ONLY, R_INV_ONLY, R_GAP_CT, R_GAP_INV, R_GAP_CT_STOPPED, R_GAP_INV_OFF, R_COUNT };

static const builtin_rule rules[R_COUNT] = {
	[R_GAP_LOGGING] = {"llmtrail-reconcile-invocation-logging-gap",
	                   "Bedrock calls in CloudTrail without invocation-log records (logging off or deleted)",
	                   RPT_LEVEL_HIGH,
	                   "A window of CloudTrail InvokeModel/Converse calls has no matching invocation-log records: "
	                   "the signature of model-invocation logging switched off, misconfigured or deleted.",
	                   "attack.defense-evasion"},
	[R_CT_ONLY] = {"llmtrail-reconcile-invocation-log-missing",
	               "Bedrock call in CloudTrail without invocation-log record", RPT_LEVEL_LOW,
	               "One or two CloudTrail runtime calls have no matching invocation-log record.",
	               "attack.defense-evasion"},
	[R_INV_ONLY] = {"llmtrail-reconcile-cloudtrail-missing",
	                "Invocation-log records without CloudTrail call", RPT_LEVEL_MEDIUM,
	                "Invocation-log records inside the time CloudTrail covers have no matching CloudTrail call: "
	                "CloudTrail files deleted, or records injected.",
	                "attack.defense-evasion"},
	[R_GAP_CT_STOPPED] = {"llmtrail-coverage-gap-cloudtrail-stopped",
	                      "No CloudTrail records after the trail was stopped or changed", RPT_LEVEL_HIGH,
	                      "An account/region has no CloudTrail record for a stretch that begins right after "
	                      "StopLogging, DeleteTrail, UpdateTrail or PutEventSelectors in that account.",
	                      "attack.defense-evasion"},
	[R_GAP_INV_OFF] = {"llmtrail-coverage-gap-invocation-logging-off",
	                   "No invocation-log records after invocation logging was deleted or changed", RPT_LEVEL_HIGH,
	                   "An account/region has no invocation-log record for a stretch that begins right after "
	                   "DeleteModelInvocationLoggingConfiguration or PutModelInvocationLoggingConfiguration.",
	                   "attack.defense-evasion"},
	[R_GAP_CT] = {"llmtrail-coverage-gap-cloudtrail", "No CloudTrail records for a stretch of time",
	              RPT_LEVEL_MEDIUM,
	              "An account/region has no CloudTrail record at all for a stretch in which its own activity "
	              "predicts many: the trail stopped, or files are missing.",
	              "attack.defense-evasion"},
	[R_GAP_INV] = {"llmtrail-coverage-gap-invocation-logs", "No invocation-log records for a stretch of time",
	               RPT_LEVEL_MEDIUM,
	               "An account/region has no invocation-log record for a stretch in which its own activity "
	               "predicts many.",
	               "attack.defense-evasion"},
};

static const char *kind_name(reconcile_kind k)
{
	static const char *const n[] = {"cloudtrail-only", "invocation-only", "cloudtrail-gap", "invocation-gap"};
	return (unsigned)k < 4 ? n[k] : "?";
}

static void describe(const reconcile_window *w, char *out, size_t n)
{
	char a[LTIME_BUFSZ], b[LTIME_BUFSZ];
	ltime_format(w->first_us, 0, a);
	ltime_format(w->last_us, 0, b);
	switch (w->kind) {
	case RECONCILE_CT_ONLY:
		snprintf(out, n,
		         "%zu CloudTrail Bedrock runtime calls in %s/%s from %s to %s have no invocation-log record "
		         "(%zu calls in that span do)",
		         w->count, w->account, w->region, a, b, w->matched);
		break;
	case RECONCILE_INV_ONLY:
		snprintf(out, n,
		         "%zu invocation-log records in %s/%s from %s to %s have no CloudTrail call (%zu in that span "
		         "do)",
		         w->count, w->account, w->region, a, b, w->matched);
		break;
	default:
		snprintf(out, n,
		         "no %s record in %s/%s from %s to %s (%.1f h); the neighbouring hours' rate predicts about "
		         "%zu%s%s",
		         w->kind == RECONCILE_GAP_CT ? "CloudTrail" : "invocation-log", w->account, w->region, a, b,
		         (double)(w->last_us - w->first_us) / (double)HOUR_US, w->predicted,
		         w->cause[0] ? "; after " : "", w->cause);
		break;
	}
}

static lt_status event_hit(case_db *c, report *rep, size_t rule, int64_t id, const rpt_pair *g,
                           const char *detail, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(case_sqlite(c),
	                       "SELECT e.time_us, e.source, e.uid, e.request_id, e.action, e.service, e.principal,"
	                       " e.access_key, e.account, e.region, e.source_ip, e.user_agent, e.model, e.error_code,"
	                       " e.input_tokens, e.output_tokens, e.latency_ms, e.line, ev.path, mb.path, mb.sha256"
	                       " FROM events_v e JOIN members mb ON mb.id = e.member_id"
	                       " JOIN evidence ev ON ev.id = mb.evidence_id WHERE e.id = ?",
	                       -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "event");
	sqlite3_bind_int64(s, 1, id);
	lt_status st = LT_OK;
	if (sqlite3_step(s) == SQLITE_ROW) {
		rpt_event_in ev;
		rpt_event_init(&ev);
#define T(i) rpt_s((const char *)sqlite3_column_text(s, i))
		ev.time_us = sqlite3_column_int64(s, 0);
		ev.source = T(1);
		ev.uid = T(2);
		ev.request_id = T(3);
		ev.action = T(4);
		ev.service = T(5);
		ev.principal = T(6);
		ev.access_key = T(7);
		ev.account = T(8);
		ev.region = T(9);
		ev.source_ip = T(10);
		ev.user_agent = T(11);
		ev.model = T(12);
		ev.error_code = T(13);
		ev.input_tokens = sqlite3_column_type(s, 14) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 14);
		ev.output_tokens = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 15);
		ev.latency_ms = sqlite3_column_type(s, 16) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 16);
		ev.line = (uint64_t)sqlite3_column_int64(s, 17);
		ev.evidence = T(18);
		ev.member = T(19);
		ev.member_sha256 = T(20);
#undef T
		rpt_match_in m;
		memset(&m, 0, sizeof m);
		m.field = rpt_s("reconciliation");
		m.value = rpt_s(detail);
		m.end = m.value.n;
		st = report_add_hit(rep, rule, g, 1, &ev, &m, 1, err);
	}
	sqlite3_finalize(s);
	return st;
}

static lt_status add_summary_table(const reconcile_result *r, report *rep, lt_error *err)
{
	static const char *const cols[] = {"measure", "count"};
	size_t t;
	lt_status st = report_add_table(rep, "CloudTrail / invocation-log reconciliation", 2, cols, &t, err);
	const reconcile_summary *s = &r->sum;
	const struct {
		const char *name;
		size_t v;
	} rows[] = {
		{"CloudTrail Bedrock runtime calls", s->ct_calls},
		{"... with an error code", s->ct_calls_error},
		{"invocation-log records", s->inv_records},
		{"matched by request id", s->matched_request},
		{"matched weakly (principal + model + time within 5 s)", s->matched_weak},
		{"calls without invocation-log record", s->ct_only},
		{"failed calls without record (expected)", s->ct_only_error},
		{"records without CloudTrail call", s->inv_only},
		{"records without call where CloudTrail is silent", s->inv_only_uncovered},
		{"coverage gaps", s->gaps},
	};
	for (size_t i = 0; st == LT_OK && i < sizeof rows / sizeof rows[0]; i++) {
		char num[32];
		snprintf(num, sizeof num, "%zu", rows[i].v);
		rpt_str cells[2] = {rpt_s(rows[i].name), rpt_s(num)};
		st = report_table_add_row(rep, t, cells, err);
	}
	return st;
}

lt_status reconcile_add_to_report(const reconcile_result *r, case_db *c, report *rep, lt_error *err)
{
	size_t idx[R_COUNT];
	lt_status st = LT_OK;
	for (int i = 0; i < R_COUNT && st == LT_OK; i++)
		st = builtin_add_rule(rep, &rules[i], &idx[i], err);
	if (st == LT_OK && !r->applicable) {
		const char *why = "needs both CloudTrail Bedrock runtime calls and invocation-log records in the case";
		st = report_set_rule_outcome(rep, idx[R_GAP_LOGGING], RPT_NOT_APPLICABLE, why, err);
		if (st == LT_OK)
			st = report_set_rule_outcome(rep, idx[R_CT_ONLY], RPT_NOT_APPLICABLE, why, err);
		if (st == LT_OK)
			st = report_set_rule_outcome(rep, idx[R_INV_ONLY], RPT_NOT_APPLICABLE, why, err);
	}
	if (st == LT_OK)
		st = add_summary_table(r, rep, err);
	for (size_t i = 0; i < r->nw && st == LT_OK; i++) {
		const reconcile_window *w = &r->out[i];
		char detail[512], a[LTIME_BUFSZ], b[LTIME_BUFSZ], gv[256];
		describe(w, detail, sizeof detail);
		ltime_format(w->first_us, 0, a);
		ltime_format(w->last_us, 0, b);
		snprintf(gv, sizeof gv, "%s/%s %s..%s", w->account, w->region, a, b);
		rpt_pair g = {rpt_s("window"), rpt_s(gv)};
		if (w->kind == RECONCILE_CT_ONLY || w->kind == RECONCILE_INV_ONLY) {
			size_t rule = w->kind == RECONCILE_INV_ONLY
			                  ? idx[R_INV_ONLY]
			                  : (w->count >= RECONCILE_WINDOW_HIGH ? idx[R_GAP_LOGGING] : idx[R_CT_ONLY]);
			for (size_t k = 0; k < w->count && st == LT_OK; k++)
				st = event_hit(c, rep, rule, w->ids[k], &g, detail, err);
			continue;
		}
		builtin_hit h;
		memset(&h, 0, sizeof h);
		char uid[300];
		snprintf(uid, sizeof uid, "%s:%s", kind_name(w->kind), gv);
		h.source = "reconcile";
		h.uid = uid;
		h.group_name = "window";
		h.group_value = gv;
		h.time_us = w->first_us;
		h.account = w->account;
		h.region = w->region;
		h.detail_field = "reconciliation";
		h.detail = detail;
		size_t rule = w->kind == RECONCILE_GAP_CT ? (w->cause[0] ? idx[R_GAP_CT_STOPPED] : idx[R_GAP_CT])
		                                          : (w->cause[0] ? idx[R_GAP_INV_OFF] : idx[R_GAP_INV]);
		st = builtin_add_hit(rep, rule, &h, err);
	}
	return st;
}

lt_status reconcile_write(const reconcile_result *r, const char *format, buf *out)
{
	const reconcile_summary *s = &r->sum;
	int json = format != NULL && strcmp(format, "json") == 0;
	lt_status st;
	if (json)
		st = buf_printf(out,
		                "{\"applicable\":%s,\"ct_calls\":%zu,\"ct_calls_error\":%zu,\"inv_records\":%zu,"
		                "\"matched_request\":%zu,\"matched_weak\":%zu,\"ct_only\":%zu,\"ct_only_error\":%zu,"
		                "\"inv_only\":%zu,\"inv_only_uncovered\":%zu,\"gaps\":%zu,\"windows\":[",
		                r->applicable ? "true" : "false", s->ct_calls, s->ct_calls_error, s->inv_records,
		                s->matched_request, s->matched_weak, s->ct_only, s->ct_only_error, s->inv_only,
		                s->inv_only_uncovered, s->gaps);
	else
		st = buf_printf(out,
		                "reconciliation: %zu CloudTrail runtime calls (%zu with error), %zu invocation records;"
		                " matched %zu by request id, %zu weakly; %zu calls without record, %zu records without "
		                "call (%zu more where CloudTrail is silent); %zu coverage gaps\n",
		                s->ct_calls, s->ct_calls_error, s->inv_records, s->matched_request, s->matched_weak,
		                s->ct_only, s->inv_only, s->inv_only_uncovered, s->gaps);
	for (size_t i = 0; i < r->nw && st == LT_OK; i++) {
		const reconcile_window *w = &r->out[i];
		char a[LTIME_BUFSZ], b[LTIME_BUFSZ], detail[512];
		ltime_format(w->first_us, 0, a);
		ltime_format(w->last_us, 0, b);
		describe(w, detail, sizeof detail);
		if (json) {
			st = buf_printf(out, "%s{\"kind\":\"%s\",\"from\":\"%s\",\"until\":\"%s\",\"count\":%zu,\"matched\":%zu,"
			                     "\"account\":",
			                i ? "," : "", kind_name(w->kind), a, b, w->count, w->matched);
			if (st == LT_OK)
				st = json_write_string(out, w->account, strlen(w->account));
			if (st == LT_OK)
				st = buf_puts(out, ",\"region\":");
			if (st == LT_OK)
				st = json_write_string(out, w->region, strlen(w->region));
			if (st == LT_OK)
				st = buf_putc(out, '}');
		} else {
			st = buf_printf(out, "  %-16s ", kind_name(w->kind));
			if (st == LT_OK)
				st = case_escape_text(out, detail, strlen(detail));
			if (st == LT_OK)
				st = buf_putc(out, '\n');
		}
	}
	if (st == LT_OK && json)
		st = buf_puts(out, "]}");
	return st;
}

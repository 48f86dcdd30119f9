/*
 * caseq.c — read-only queries of the case for the layers above (see caseq.h).
 *
 * Each walk prepares one statement on the case's connection, steps it and
 * hands each row to the caller as a plain struct of borrowed strings, so no
 * caller sees a statement handle. The SQL is the text the callers ran
 * before (same columns, same ORDER BY), so their output is unchanged.
 */
#include "config.h"

#include "store/caseq.h"

#include <sqlite3.h>

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t != NULL ? (const char *)t : "";
}

static lt_status sql_fail(case_db *c, lt_error *err)
{
	return lt_error_set(err, LT_EFATAL, "case index: %s", sqlite3_errmsg(case_sqlite(c)));
}

static lt_status prepare(case_db *c, const char *sql, sqlite3_stmt **s, lt_error *err)
{
	if (sqlite3_prepare_v2(case_sqlite(c), sql, -1, s, NULL) != SQLITE_OK)
		return sql_fail(c, err);
	return LT_OK;
}

/* The step loop every walk shares: rows to row(), a failed step is an error. */
static lt_status walk(case_db *c, sqlite3_stmt *s, lt_status (*row)(sqlite3_stmt *s, void *arg, lt_error *err),
                      void *arg, lt_error *err)
{
	int rc = SQLITE_DONE;
	lt_status st = LT_OK;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		st = row(s, arg, err);
	if (st == LT_OK && rc != SQLITE_DONE)
		st = sql_fail(c, err);
	sqlite3_finalize(s);
	return st;
}

const char *caseq_sqlite_version(void)
{
	return sqlite3_libversion();
}

/* ---- custody ------------------------------------------------------------ */

typedef struct custody_arg {
	lt_status (*fn)(void *ctx, const caseq_custody *m, lt_error *err);
	void *ctx;
} custody_arg;

static lt_status custody_row(sqlite3_stmt *s, void *arg, lt_error *err)
{
	const custody_arg *a = arg;
	caseq_custody m = {
		.evidence = col(s, 0),
		.member = col(s, 1),
		.size = (uint64_t)sqlite3_column_int64(s, 2),
		.sha256 = col(s, 3),
		.content_sha256 = col(s, 4),
		.format = col(s, 5),
		.events = (uint64_t)sqlite3_column_int64(s, 6),
		.duplicates = (uint64_t)sqlite3_column_int64(s, 7),
		.problems = (uint64_t)sqlite3_column_int64(s, 8),
	};
	return a->fn(a->ctx, &m, err);
}

lt_status caseq_each_custody(case_db *c, lt_status (*fn)(void *ctx, const caseq_custody *m, lt_error *err),
                             void *ctx, lt_error *err)
{
	static const char sql[] =
		"SELECT e.path, m.path, m.size, m.sha256, m.content_sha256, m.format, m.events,"
		" m.duplicates, m.problems FROM members m JOIN evidence e ON e.id = m.evidence_id"
		" ORDER BY e.path, m.path";
	sqlite3_stmt *s = NULL;
	lt_status st = prepare(c, sql, &s, err);
	custody_arg a = {fn, ctx};
	return st == LT_OK ? walk(c, s, custody_row, &a, err) : st;
}

/* ---- problems ----------------------------------------------------------- */

typedef struct problem_arg {
	lt_status (*fn)(void *ctx, const caseq_problem *p, lt_error *err);
	void *ctx;
} problem_arg;

static lt_status problem_row(sqlite3_stmt *s, void *arg, lt_error *err)
{
	const problem_arg *a = arg;
	caseq_problem p = {
		.kind = col(s, 0),
		.file = col(s, 1),
		.member = col(s, 2),
		.line = (uint64_t)sqlite3_column_int64(s, 3),
		.reason = col(s, 4),
	};
	return a->fn(a->ctx, &p, err);
}

lt_status caseq_each_problem(case_db *c, lt_status (*fn)(void *ctx, const caseq_problem *p, lt_error *err),
                             void *ctx, lt_error *err)
{
	static const char sql[] = "SELECT kind, file, member, line, reason FROM problems"
	                          " ORDER BY file, member, line, id";
	sqlite3_stmt *s = NULL;
	lt_status st = prepare(c, sql, &s, err);
	problem_arg a = {fn, ctx};
	return st == LT_OK ? walk(c, s, problem_row, &a, err) : st;
}

/* ---- one member (show) -------------------------------------------------- */

typedef struct member_arg {
	lt_status (*fn)(void *ctx, const caseq_member *m, lt_error *err);
	void *ctx;
} member_arg;

static lt_status member_row(sqlite3_stmt *s, void *arg, lt_error *err)
{
	const member_arg *a = arg;
	caseq_member m = {
		.evidence_sha256 = sqlite3_column_type(s, 0) != SQLITE_NULL ? col(s, 0) : NULL,
		.size = sqlite3_column_int64(s, 1),
		.has_content = sqlite3_column_type(s, 2) != SQLITE_NULL,
		.content_size = sqlite3_column_int64(s, 2),
		.content_sha256 = (const char *)sqlite3_column_text(s, 3),
		.format = (const char *)sqlite3_column_text(s, 4),
		.path = (const char *)sqlite3_column_text(s, 5),
		.sha256 = (const char *)sqlite3_column_text(s, 6),
	};
	return a->fn(a->ctx, &m, err);
}

lt_status caseq_member_custody(case_db *c, int64_t member_id,
                               lt_status (*fn)(void *ctx, const caseq_member *m, lt_error *err), void *ctx,
                               lt_error *err)
{
	static const char sql[] =
		"SELECT e.sha256, m.size, m.content_size, m.content_sha256, m.format, m.path, m.sha256"
		" FROM members m JOIN evidence e ON e.id = m.evidence_id WHERE m.id = ?";
	sqlite3_stmt *s = NULL;
	lt_status st = prepare(c, sql, &s, err);
	if (st != LT_OK)
		return st;
	sqlite3_bind_int64(s, 1, member_id);
	member_arg a = {fn, ctx};
	return walk(c, s, member_row, &a, err);
}

/* ---- CloudTrail members (verify) ---------------------------------------- */

typedef struct ct_arg {
	lt_status (*fn)(void *ctx, const caseq_ct_member *m, lt_error *err);
	void *ctx;
} ct_arg;

static lt_status ct_row(sqlite3_stmt *s, void *arg, lt_error *err)
{
	const ct_arg *a = arg;
	caseq_ct_member m = {
		.id = sqlite3_column_int64(s, 0),
		.content_id = sqlite3_column_int64(s, 1),
		.evidence = col(s, 2),
		.path = col(s, 3),
		.name = col(s, 4),
		.format = col(s, 5),
		.content_sha256 = col(s, 6),
		.sha256 = col(s, 7),
	};
	return a->fn(a->ctx, &m, err);
}

lt_status caseq_each_cloudtrail_member(case_db *c,
                                       lt_status (*fn)(void *ctx, const caseq_ct_member *m, lt_error *err),
                                       void *ctx, lt_error *err)
{
	static const char sql[] =
		"SELECT m.id, COALESCE(m.same_as, m.id), ev.path, m.path, m.name,"
		" COALESCE(s.format, m.format), COALESCE(m.content_sha256, s.content_sha256), m.sha256"
		" FROM members m JOIN evidence ev ON ev.id = m.evidence_id"
		" LEFT JOIN members s ON s.id = m.same_as"
		" WHERE m.state <> 'container' AND (m.name LIKE '%CloudTrail%' OR m.format LIKE 'cloudtrail%'"
		"  OR s.format LIKE 'cloudtrail%')"
		" ORDER BY m.id";
	sqlite3_stmt *s = NULL;
	lt_status st = prepare(c, sql, &s, err);
	ct_arg a = {fn, ctx};
	return st == LT_OK ? walk(c, s, ct_row, &a, err) : st;
}

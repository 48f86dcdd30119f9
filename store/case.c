/*
 * case.c — opening a case index, schema migrations, the run log, totals.
 *
 * A case is one SQLite file. Opening it for writing creates it when missing
 * and brings an older schema up to CASE_SCHEMA_VERSION by running the
 * migrations of schema.sql.h in one transaction each, bumping
 * PRAGMA user_version as it goes; a file written by a newer llmtrail is
 * refused rather than guessed at. Journal settings were chosen by
 * measurement (docs/case-schema.md): WAL with synchronous=NORMAL keeps every
 * committed transaction across a process kill (the crash-safety invariant is
 * about kill -9, which never loses what the OS already has) and lets readers
 * run beside the single writer. Member content is read back here too
 * (case_member_content), chunk by chunk, through blob_unpack.
 */
#include "config.h"

#include "store/case.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/textesc.h"
#include "ingest/event.h"
#include "store/blob.h"
#include "store/schema.sql.h"

struct case_db {
	sqlite3 *db;
	char *path;
	int readonly;
	int64_t span_blocks; /* max(blocks.id) when span was computed; -1 = never */
	int64_t span;
	arena *dict_mem; /* the string dictionary: dict[id], ids 1..ndict-1 */
	ev_str *dict;
	size_t ndict;
	size_t nids;      /* ids 1..nids-1 are in the case; those from ndict on are not held */
	size_t dict_ids;  /* most ids held (CASE_DICT_IDS, or case_dict_ids_limit's) */
	size_t dict_long; /* bytes of strings over CASE_STR_SHORT held in dict_mem */
};

sqlite3 *case_sqlite(case_db *c)
{
	return c ? c->db : NULL;
}

const char *case_path(const case_db *c)
{
	return c ? c->path : "";
}

static lt_status sql_fail(case_db *c, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "case index %s: %s: %s", c->path, what, sqlite3_errmsg(c->db));
}

lt_status case_exec(case_db *c, const char *sql, lt_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		lt_error_set(err, LT_EFATAL, "case index %s: %s", c->path, msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return LT_EFATAL;
	}
	return LT_OK;
}

static lt_status query_int(case_db *c, const char *sql, int64_t *out, lt_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(c, err, "prepare");
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(c, err, sql);
	return LT_OK;
}

static lt_status is_case_file(case_db *c, int64_t version, lt_error *err)
{
	int64_t ntables = 0;
	lt_status st = query_int(c, "SELECT count(*) FROM sqlite_master", &ntables, err);
	if (st != LT_OK)
		return st;
	if (version == 0 && ntables > 0)
		return lt_error_set(err, LT_EFATAL, "%s is an SQLite file but not an llmtrail case index", c->path);
	if (version > CASE_SCHEMA_VERSION)
		return lt_error_set(err, LT_EFATAL,
		                    "case index %s has schema version %lld, newer than this llmtrail (%d)", c->path,
		                    (long long)version, CASE_SCHEMA_VERSION);
	if (version > 0 && version < CASE_SCHEMA_FIRST)
		return lt_error_set(err, LT_EFATAL,
		                    "case index %s has schema version %lld (one row per event), which this llmtrail"
		                    " no longer reads: index the evidence again into a new case",
		                    c->path, (long long)version);
	return LT_OK;
}

/* Runs sql and sets user_version in one transaction. */
static lt_status schema_step(case_db *c, const char *sql, int64_t to, lt_error *err)
{
	char bump[64];
	snprintf(bump, sizeof bump, "PRAGMA user_version=%lld;", (long long)to);
	lt_status st = case_exec(c, "BEGIN IMMEDIATE", err);
	if (st == LT_OK)
		st = case_exec(c, sql, err);
	if (st == LT_OK)
		st = case_exec(c, bump, err);
	if (st == LT_OK)
		st = case_exec(c, "COMMIT", err);
	else
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

static lt_status migrate(case_db *c, lt_error *err)
{
	int64_t version = 0;
	lt_status st = query_int(c, "PRAGMA user_version", &version, err);
	if (st == LT_OK)
		st = is_case_file(c, version, err);
	if (st == LT_OK && version == 0) {
		st = schema_step(c, case_schema_create, CASE_SCHEMA_FIRST, err);
		version = CASE_SCHEMA_FIRST;
	}
	for (int64_t v = version; st == LT_OK && v < CASE_SCHEMA_VERSION; v++)
		st = schema_step(c, case_migrations[v - CASE_SCHEMA_FIRST], v + 1, err);
	return st;
}

static lt_status configure(case_db *c, lt_error *err)
{
	sqlite3_busy_timeout(c->db, 60000);
	if (c->readonly) /* readers mostly stream blocks once; a scan has three of them */
		return case_exec(c, "PRAGMA query_only=1; PRAGMA cache_size=-4096;", err);
	return case_exec(c,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;"
	                 " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=4096;",
	                 err);
}

/* A read-only "file:" URI for path (mode=ro, and immutable=1 for a case on
 * a read-only medium); '%', '?' and '#' are escaped. NULL out of memory. */
static char *ro_uri(const char *path, int immutable)
{
	buf b;
	buf_init(&b, 0);
	lt_status st = buf_puts(&b, "file:");
	for (const char *p = path; st == LT_OK && *p; p++)
		st = (*p == '%' || *p == '?' || *p == '#') ? buf_printf(&b, "%%%02X", (unsigned char)*p) : buf_putc(&b, *p);
	if (st == LT_OK)
		st = buf_puts(&b, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
	if (st != LT_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* A case on a medium llmtrail cannot write (read-only mount, no write
 * permission on it or its folder) that has no write-ahead log to replay:
 * SQLite can read it only as immutable (it cannot create the -shm file). */
static int read_only_medium(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	char wal[PATH_MAX];
	if (snprintf(wal, sizeof wal, "%s-wal", path) >= (int)sizeof wal || (stat(wal, &sb) == 0 && sb.st_size > 0))
		return 0;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	return access(path, W_OK) != 0 || access(dir, W_OK) != 0;
}

/* Opens c->db (read-only through a URI) and checks or migrates the schema. */
static lt_status open_db(case_db *c, int immutable, lt_error *err)
{
	const char *path = c->path;
	char *uri = c->readonly ? ro_uri(path, immutable) : NULL;
	if (c->readonly && uri == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	int oflags = c->readonly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(uri ? uri : path, &c->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return lt_error_set(err, LT_EFATAL, "cannot open case index %s: %s", path,
		                    c->db ? sqlite3_errmsg(c->db) : "out of memory");
	sqlite3_extended_result_codes(c->db, 1);
	lt_status st = configure(c, err);
	if (st == LT_OK && !c->readonly)
		st = migrate(c, err);
	if (st == LT_OK && c->readonly) {
		int64_t version = 0;
		st = query_int(c, "PRAGMA user_version", &version, err);
		if (st == LT_OK && version != CASE_SCHEMA_VERSION)
			st = version == 0 ? lt_error_set(err, LT_EFATAL, "%s is not an llmtrail case index", path)
			                  : is_case_file(c, version, err);
		if (st == LT_OK && version >= CASE_SCHEMA_FIRST && version < CASE_SCHEMA_VERSION)
			st = lt_error_set(err, LT_EFATAL, "case index %s has an older schema; run `llmtrail index` on it",
			                  path);
	}
	return st;
}

lt_status case_open(const char *path, unsigned flags, case_db **out, lt_error *err)
{
	*out = NULL;
	case_db *c = calloc(1, sizeof *c);
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	c->readonly = (flags & CASE_CREATE) == 0;
	c->span_blocks = -1;
	lt_status st = open_db(c, 0, err);
	if (st != LT_OK && c->readonly && read_only_medium(path)) {
		sqlite3_close_v2(c->db);
		c->db = NULL;
		lt_error e2;
		lt_error_clear(&e2);
		st = open_db(c, 1, &e2); /* the first error stands if this fails too */
	}
	if (st != LT_OK) {
		case_close(c);
		return st;
	}
	*out = c;
	return LT_OK;
}

void case_close(case_db *c)
{
	if (c == NULL)
		return;
	sqlite3_close_v2(c->db);
	arena_free(c->dict_mem);
	free(c->dict);
	free(c->path);
	free(c);
}

static void now_iso(char *out, size_t n)
{
	time_t t = time(NULL);
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde != NULL && *sde)
		t = (time_t)strtoll(sde, NULL, 10);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

lt_status case_run_begin(case_db *c, const char *command, int argc, char *const *argv, int64_t *run_id,
                         lt_error *err)
{
	buf args;
	buf_init(&args, 0);
	lt_status st = buf_putc(&args, '[');
	for (int i = 0; i < argc && st == LT_OK; i++) {
		if (i > 0)
			st = buf_putc(&args, ',');
		if (st == LT_OK)
			st = buf_putc(&args, '"');
		for (const char *p = argv[i]; st == LT_OK && *p; p++) {
			unsigned char ch = (unsigned char)*p;
			if (ch == '"' || ch == '\\')
				st = buf_printf(&args, "\\%c", ch);
			else if (ch < 0x20)
				st = buf_printf(&args, "\\u%04x", ch);
			else
				st = buf_putc(&args, (char)ch);
		}
		if (st == LT_OK)
			st = buf_putc(&args, '"');
	}
	if (st == LT_OK)
		st = buf_putc(&args, ']');
	if (st != LT_OK) {
		buf_free(&args);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	char now[32];
	now_iso(now, sizeof now);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, "INSERT INTO runs(command, args, version, started) VALUES(?,?,?,?)", -1, &s,
	                       NULL) != SQLITE_OK) {
		buf_free(&args);
		return sql_fail(c, err, "prepare run");
	}
	sqlite3_bind_text(s, 1, command, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, buf_cstr(&args), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, PACKAGE_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, now, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	buf_free(&args);
	if (rc != SQLITE_DONE)
		return sql_fail(c, err, "insert run");
	*run_id = sqlite3_last_insert_rowid(c->db);
	return LT_OK;
}

lt_status case_run_end(case_db *c, int64_t run_id, const char *status, lt_error *err)
{
	char now[32];
	now_iso(now, sizeof now);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, "UPDATE runs SET finished=?, status=? WHERE id=?", -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "prepare run end");
	sqlite3_bind_text(s, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, run_id);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? LT_OK : sql_fail(c, err, "update run");
}

#define CASE_STRS_ID_SLACK 65536 /* ids tolerated beyond twice the row count */

lt_status case_strings_refresh(case_db *c, lt_error *err)
{
	int64_t max = 0;
	lt_status st = query_int(c, "SELECT coalesce(max(id), 0) FROM strs", &max, err);
	if (st != LT_OK || (size_t)max < c->nids)
		return st;
	if (max >= (int64_t)UINT32_MAX)
		return lt_error_set(err, LT_EFATAL, "case index %s: string ids out of range", c->path);
	/* The dictionary is an array indexed by id, and llmtrail writes ids
	 * 1..N densely (strs only grows): ids far beyond the row count mean a
	 * damaged or forged case, which must not size that array. */
	int64_t rows = 0;
	st = query_int(c, "SELECT count(*) FROM strs", &rows, err);
	if (st != LT_OK)
		return st;
	if (max > 2 * rows + CASE_STRS_ID_SLACK)
		return lt_error_set(err, LT_EFATAL,
		                    "case index %s is damaged: string id %lld for %lld strings (ids are dense)",
		                    c->path, (long long)max, (long long)rows);
	/* ids past the ones held stay on disk (case_string) */
	c->nids = (size_t)max + 1;
	size_t cap = c->dict_ids ? c->dict_ids : CASE_DICT_IDS;
	if ((size_t)max > cap)
		max = (int64_t)cap;
	if ((size_t)max < c->ndict)
		return LT_OK;
	ev_str *nd = realloc(c->dict, ((size_t)max + 1) * sizeof *nd);
	if (nd == NULL || (c->dict_mem == NULL && (c->dict_mem = arena_new(0, 0)) == NULL)) {
		if (nd != NULL)
			c->dict = nd;
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	size_t from = c->ndict ? c->ndict : 1;
	memset(nd + (c->ndict ? c->ndict : 0), 0, ((size_t)max + 1 - (c->ndict ? c->ndict : 0)) * sizeof *nd);
	c->dict = nd;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT id, s FROM strs WHERE id >= ? AND id <= ?", -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "prepare strings");
	sqlite3_bind_int64(s, 1, (int64_t)from);
	sqlite3_bind_int64(s, 2, max);
	int rc = SQLITE_DONE;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *t = (const char *)sqlite3_column_text(s, 1);
		size_t n = (size_t)sqlite3_column_bytes(s, 1);
		if (t != NULL && n > CASE_STR_SHORT && c->dict_long + n > CASE_STR_LONG_BUDGET) {
			c->dict[id] = (ev_str){NULL, n}; /* left on disk: case_string_read */
			continue;
		}
		char *copy = t != NULL ? arena_strndup(c->dict_mem, t, n) : NULL;
		if (t != NULL && copy == NULL)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
		else if (copy != NULL)
			c->dict[id] = ev_str_from(copy, n);
		if (copy != NULL && n > CASE_STR_SHORT)
			c->dict_long += n;
	}
	sqlite3_finalize(s);
	if (st == LT_OK && rc != SQLITE_DONE)
		st = sql_fail(c, err, "read strings");
	if (st == LT_OK)
		c->ndict = (size_t)max + 1;
	return st;
}

ev_str case_string(const case_db *c, uint32_t id, int *ok)
{
	if (id == 0)
		return EV_STR_NULL;
	if ((size_t)id >= c->ndict && (size_t)id < c->nids)
		return (ev_str){NULL, 1}; /* past the ids held: on disk, length unknown */
	if ((size_t)id >= c->ndict || (c->dict[id].p == NULL && c->dict[id].n == 0)) {
		*ok = 0;
		return EV_STR_NULL;
	}
	return c->dict[id];
}

void case_dict_ids_limit(case_db *c, size_t ids)
{
	c->dict_ids = ids;
}

lt_status case_string_read(sqlite3_stmt **q, case_db *c, uint32_t id, arena *a, ev_str *out, lt_error *err)
{
	*out = EV_STR_NULL;
	if (*q == NULL && sqlite3_prepare_v2(c->db, "SELECT s FROM strs WHERE id = ?1", -1, q, NULL) != SQLITE_OK)
		return sql_fail(c, err, "prepare string");
	sqlite3_bind_int64(*q, 1, id);
	int rc = sqlite3_step(*q);
	lt_status st = LT_OK;
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(*q, 0);
		size_t n = (size_t)sqlite3_column_bytes(*q, 0);
		char *copy = t != NULL ? arena_strndup(a, t, n) : NULL;
		if (t != NULL && copy == NULL)
			st = lt_error_set(err, LT_EITEM, "string %u of %zu bytes does not fit the step's memory", id, n);
		else if (copy != NULL)
			*out = ev_str_from(copy, n);
	} else if (rc == SQLITE_DONE) {
		st = lt_error_set(err, LT_EITEM, "case index: an event refers to a string the index does not have");
	} else {
		st = sql_fail(c, err, "read string");
	}
	sqlite3_reset(*q);
	return st;
}

lt_status case_block_span(case_db *c, int64_t *span, lt_error *err)
{
	int64_t last = 0;
	lt_status st = query_int(c, "SELECT coalesce(max(id), 0) FROM blocks", &last, err);
	if (st == LT_OK && last != c->span_blocks) {
		st = query_int(c, "SELECT coalesce(max(t_max - t_min), 0) FROM blocks", &c->span, err);
		if (c->span < 0)
			c->span = 0; /* every block inverted (t_max < t_min): a corrupted case */
		c->span_blocks = st == LT_OK ? last : -1;
	}
	*span = c->span;
	return st;
}

lt_status case_damaged_members(case_db *c, size_t max, int (*fn)(void *ctx, const case_damaged *d), void *ctx,
                               lt_error *err)
{
	static const char sql[] =
		"SELECT m.id, e.path, m.path, m.format,"
		" (SELECT p.reason FROM problems p WHERE p.member_id = m.id ORDER BY p.id LIMIT 1),"
		" (SELECT min(b.t_min) FROM blocks b WHERE b.member_id = m.id),"
		" (SELECT max(b.t_max) FROM blocks b WHERE b.member_id = m.id)"
		" FROM members m JOIN evidence e ON e.id = m.evidence_id"
		" WHERE m.problems > 0 OR m.state = 'unreadable' ORDER BY m.id LIMIT ?";
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return lt_error_set(err, LT_EFATAL, "case index: %s", sqlite3_errmsg(c->db));
	sqlite3_bind_int64(st, 1, max ? (sqlite3_int64)max : -1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		case_damaged d;
#define TXT(i) (sqlite3_column_text(st, i) ? (const char *)sqlite3_column_text(st, i) : "")
		d.member_id = sqlite3_column_int64(st, 0);
		d.file = TXT(1);
		d.member = TXT(2);
		d.format = TXT(3);
		d.reason = TXT(4);
#undef TXT
		d.first_us = sqlite3_column_type(st, 5) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 5);
		d.last_us = sqlite3_column_type(st, 6) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 6);
		if (fn(ctx, &d) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return lt_error_set(err, LT_EFATAL, "case index: %s", sqlite3_errmsg(c->db));
	return LT_OK;
}

int case_each_evidence_path(case_db *c, int (*fn)(void *ctx, const char *path), void *ctx, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT path FROM evidence ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		lt_error_set(err, LT_EFATAL, "case index: evidence: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	int rc = 0, step;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(s, 0);
		if (path != NULL)
			rc = fn(ctx, path);
	}
	if (rc == 0 && step != SQLITE_DONE) {
		lt_error_set(err, LT_EFATAL, "case index: evidence: %s", sqlite3_errmsg(c->db));
		rc = -1;
	}
	sqlite3_finalize(s);
	return rc;
}

int case_has_table(case_db *c, const char *name)
{
	sqlite3_stmt *s = NULL;
	int yes = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1, &s, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	return yes;
}

lt_status case_count_conflicts(case_db *c, int64_t *n, lt_error *err)
{
	*n = 0;
	if (!case_has_table(c, "conflicts"))
		return LT_OK;
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_ERROR;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM conflicts", -1, &s, NULL) == SQLITE_OK)
		rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return lt_error_set(err, LT_EFATAL, "case index %s: count conflicts: %s", c->path,
		                    sqlite3_errmsg(c->db));
	return LT_OK;
}

lt_status case_get_totals(case_db *c, case_totals *t, lt_error *err)
{
	static const struct {
		const char *sql;
		size_t off;
	} q[] = {
		{"SELECT count(*) FROM evidence", offsetof(case_totals, evidence)},
		{"SELECT count(*) FROM members", offsetof(case_totals, members)},
		{"SELECT count(*) FROM members WHERE state='indexed'", offsetof(case_totals, members_indexed)},
		{"SELECT count(*) FROM members WHERE state='duplicate'", offsetof(case_totals, members_duplicate)},
		{"SELECT count(*) FROM members WHERE state='unreadable'", offsetof(case_totals, members_unreadable)},
		{"SELECT coalesce(sum(events),0) FROM members", offsetof(case_totals, events)},
		{"SELECT (SELECT coalesce(sum(n),0) FROM blocks WHERE source=1)"
		 " - (SELECT coalesce(sum(duplicates),0) FROM dedup WHERE source=1)",
		 offsetof(case_totals, events_cloudtrail)},
		{"SELECT (SELECT coalesce(sum(n),0) FROM blocks WHERE source=2)"
		 " - (SELECT coalesce(sum(duplicates),0) FROM dedup WHERE source=2)",
		 offsetof(case_totals, events_invocation)},
		{"SELECT (SELECT coalesce(sum(n),0) FROM blocks WHERE source=3)"
		 " - (SELECT coalesce(sum(duplicates),0) FROM dedup WHERE source=3)",
		 offsetof(case_totals, events_kblog)},
		{"SELECT coalesce(sum(duplicates),0) FROM members", offsetof(case_totals, duplicates)},
		{"SELECT count(*) FROM problems", offsetof(case_totals, problems)},
		{"SELECT coalesce(sum(length(data)),0) FROM chunks", offsetof(case_totals, stored_bytes)},
	};
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		lt_status st = query_int(c, q[i].sql, (int64_t *)(void *)((char *)t + q[i].off), err);
		if (st != LT_OK)
			return st;
	}
	return LT_OK;
}

static lt_status append_chunk(case_db *c, sqlite3_stmt *s, buf *out, lt_error *err)
{
	uint64_t length = (uint64_t)sqlite3_column_int64(s, 1);
	blob_codec codec = blob_codec_from_name((const char *)sqlite3_column_text(s, 2));
	const unsigned char *data = sqlite3_column_blob(s, 3);
	size_t size = (size_t)sqlite3_column_bytes(s, 3);
	if (length > SIZE_MAX / 2)
		return lt_error_set(err, LT_EFILE, "stored chunk too large");
	char *dst = buf_reserve(out, (size_t)length + 1);
	if (dst == NULL)
		return lt_error_set(err, LT_EITEM, "member content larger than the buffer cap");
	lt_status st = blob_unpack(codec, data, size, dst, (size_t)length, err);
	if (st != LT_OK)
		return lt_error_where(err, c->path, NULL, 0), st;
	buf_commit(out, (size_t)length);
	return LT_OK;
}

lt_status case_member_content(case_db *c, int64_t member_id, buf *out, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT offset, length, codec, data FROM chunks WHERE member_id=? ORDER BY seq",
	                       -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "prepare chunks");
	sqlite3_bind_int64(s, 1, member_id);
	lt_status st = LT_OK;
	int n = 0, rc;
	while (st == LT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		st = append_chunk(c, s, out, err);
	}
	if (st == LT_OK && rc != SQLITE_DONE)
		st = sql_fail(c, err, "read chunks");
	sqlite3_finalize(s);
	if (st == LT_OK && n == 0)
		st = lt_error_set(err, LT_EITEM, "member %lld has no stored content", (long long)member_id);
	return st;
}

lt_status case_escape_text(buf *out, const char *s, size_t n)
{
	return lt_escape_buf(out, s, n, LT_ESC_BACKSLASH);
}

/* The object key of an S3 reference: what follows "s3://bucket/". */
static void s3_key(const char *ref, size_t n, const char **key, size_t *key_len)
{
	if (n > 5 && memcmp(ref, "s3://", 5) == 0) {
		const char *slash = memchr(ref + 5, '/', n - 5);
		if (slash != NULL) {
			*key = slash + 1;
			*key_len = n - (size_t)(slash + 1 - ref);
			return;
		}
	}
	*key = ref;
	*key_len = n;
}

static int path_ends_with(const char *ev, const char *mem, const char *key, size_t key_len)
{
	size_t el = strlen(ev), ml = strlen(mem);
	char tmp[4096];
	if (el + ml + 2 > sizeof tmp)
		return 0;
	memcpy(tmp, ev, el);
	size_t n = el;
	if (ml > 0) {
		tmp[n++] = '/';
		memcpy(tmp + n, mem, ml);
		n += ml;
	}
	if (key_len == 0 || key_len > n || memcmp(tmp + n - key_len, key, key_len) != 0)
		return 0;
	return key_len == n || tmp[n - key_len - 1] == '/';
}

lt_status case_resolve_body(case_db *c, const char *ref, size_t ref_len, int64_t *member_id, lt_error *err)
{
	const char *key;
	size_t key_len;
	*member_id = 0;
	s3_key(ref, ref_len, &key, &key_len);
	const char *base = key;
	for (size_t i = 0; i < key_len; i++)
		if (key[i] == '/')
			base = key + i + 1;
	size_t base_len = key_len - (size_t)(base - key);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db,
	                       "SELECT coalesce(m.same_as, m.id), e.path, m.path FROM members m"
	                       " JOIN evidence e ON e.id = m.evidence_id"
	                       " WHERE m.name = ? AND m.state IN ('indexed','duplicate') ORDER BY m.id",
	                       -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "prepare body lookup");
	sqlite3_bind_text(s, 1, base, (int)base_len, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *ev = (const char *)sqlite3_column_text(s, 1);
		const char *mem = (const char *)sqlite3_column_text(s, 2);
		if (path_ends_with(ev ? ev : "", mem ? mem : "", key, key_len)) {
			*member_id = sqlite3_column_int64(s, 0);
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(c, err, "body lookup");
	return LT_OK;
}

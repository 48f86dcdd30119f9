/*
 * custody.c — re-checking the evidence on disk (see custody.h).
 *
 * One query over the evidence rows, and for a folder one over its members.
 * A member path is resolved on disk by its prefixes: the first prefix that
 * is a regular file holds it (the member itself, or the archive it is in,
 * which is checked as a member of its own); no such prefix means the file
 * is gone. check_file compares a file with a recorded size and SHA-256
 * (hashed only up to hash_max bytes, read in 1 MiB pieces).
 */
#include "config.h"

#include "store/custody.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/sha256.h"

typedef enum file_verdict { FILE_SAME = 0, FILE_MISSING, FILE_CHANGED } file_verdict;

static lt_status sql_fail(case_db *c, lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFATAL, "case index %s: %s: %s", case_path(c), what, sqlite3_errmsg(case_sqlite(c)));
}

/* SHA-256 (hex) of a file; 0, or -1 with errno. */
static int hash_file(const char *path, char hex[SHA256_HEX_LEN + 1])
{
	FILE *f = fopen(path, "rb");
	sha256_ctx *h = sha256_new();
	unsigned char *b = malloc(1u << 20);
	int rc = f != NULL && h != NULL && b != NULL ? 0 : -1;
	size_t n;
	while (rc == 0 && (n = fread(b, 1, 1u << 20, f)) > 0)
		sha256_update(h, b, n);
	if (rc == 0 && ferror(f))
		rc = -1;
	int e = errno;
	if (rc == 0 && sha256_final_hex(h, hex) != LT_OK)
		rc = -1;
	free(b);
	sha256_free(h);
	if (f != NULL)
		fclose(f);
	errno = e;
	return rc;
}

/* The file at path against a recorded size (< 0: unknown) and SHA-256 (NULL or "": unknown). */
static file_verdict check_file(const char *path, int64_t size, const char *sha, uint64_t hash_max, char *why,
                               size_t cap)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		snprintf(why, cap, "%s since it was indexed (%s)", errno == ENOENT ? "gone" : "not readable", strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? FILE_MISSING : FILE_CHANGED;
	}
	if (size >= 0 && (int64_t)sb.st_size != size) {
		snprintf(why, cap, "size %lld bytes, %lld when it was indexed", (long long)sb.st_size, (long long)size);
		return FILE_CHANGED;
	}
	if (sha == NULL || !*sha || (uint64_t)sb.st_size > hash_max)
		return FILE_SAME;
	char hex[SHA256_HEX_LEN + 1];
	if (hash_file(path, hex) != 0) {
		snprintf(why, cap, "cannot read it to check its SHA-256: %s", strerror(errno));
		return FILE_CHANGED;
	}
	if (strcmp(hex, sha) != 0) {
		snprintf(why, cap, "SHA-256 %s, %.64s when it was indexed", hex, sha);
		return FILE_CHANGED;
	}
	return FILE_SAME;
}

/* The longest member-path prefix (a whole path component) last found to be
 * a directory under the folder: members come sorted by path, so most share
 * it and their leading components need no stat (19,394 members of a
 * generated export: about 150,000 stat calls down to about 20,000). */
typedef struct dir_cache {
	char p[PATH_MAX];
	size_t n; /* 0: nothing known */
} dir_cache;

/* The length of the prefix of member (under folder dir) that is a file on
 * disk: strlen(member) for the member itself, less for the archive holding
 * it; 0 when none is (gone). */
static size_t holder_len(const char *dir, const char *member, dir_cache *dc)
{
	char p[PATH_MAX];
	size_t i = 0;
	if (dc->n > 0 && strncmp(member, dc->p, dc->n) == 0 && member[dc->n] == '/')
		i = dc->n; /* a directory: no prefix up to it can be a file */
	for (;; i++) {
		if (member[i] != '/' && member[i] != '\0')
			continue;
		if (i > 0) {
			struct stat sb;
			if (snprintf(p, sizeof p, "%s/%.*s", dir, (int)i, member) < (int)sizeof p && stat(p, &sb) == 0) {
				if (S_ISREG(sb.st_mode))
					return i;
				if (S_ISDIR(sb.st_mode) && member[i] == '/' && i < sizeof dc->p) {
					memcpy(dc->p, member, i);
					dc->n = i;
				}
			}
		}
		if (member[i] == '\0')
			return 0;
	}
}

static const char *text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

static int64_t size_col(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
}

typedef struct walk_ctx {
	custody_fn fn;
	void *ctx;
	uint64_t *issues;
	uint64_t hash_max;
} walk_ctx;

static lt_status say(walk_ctx *w, file_verdict v, const char *evidence, const char *member, const char *why,
                     lt_error *err)
{
	if (v == FILE_SAME)
		return LT_OK;
	(*w->issues)++;
	custody_issue i = {v == FILE_MISSING ? "missing" : "changed", evidence, member, why};
	return w->fn(w->ctx, &i, err);
}

/* The files recorded under a folder: each member that is a file of its own. */
static lt_status check_folder(case_db *c, int64_t evidence_id, const char *dir, walk_ctx *w, lt_error *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(case_sqlite(c), "SELECT path, size, sha256 FROM members WHERE evidence_id = ? ORDER BY path",
	                       -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "read members");
	sqlite3_bind_int64(s, 1, evidence_id);
	lt_status st = LT_OK;
	char path[PATH_MAX], why[512];
	dir_cache dc = {.n = 0};
	while (st == LT_OK && sqlite3_step(s) == SQLITE_ROW) {
		const char *m = text(s, 0);
		size_t h = holder_len(dir, m, &dc);
		if (h > 0 && m[h] != '\0')
			continue; /* inside an archive: checked with the archive */
		if (h == 0) {
			snprintf(why, sizeof why, "gone since it was indexed");
			st = say(w, FILE_MISSING, dir, m, why, err);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, m);
		st = say(w, check_file(path, size_col(s, 1), text(s, 2), w->hash_max, why, sizeof why), dir, m, why, err);
	}
	sqlite3_finalize(s);
	return st;
}

static int wanted(const char *path, const char *const *only, size_t nonly)
{
	if (nonly == 0)
		return 1;
	for (size_t i = 0; i < nonly; i++)
		if (strcmp(only[i], path) == 0)
			return 1;
	return 0;
}

lt_status custody_check(case_db *c, const char *const *only, size_t nonly, uint64_t hash_max, custody_fn fn,
                        void *ctx, uint64_t *issues, lt_error *err)
{
	*issues = 0;
	walk_ctx w = {fn, ctx, issues, hash_max};
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(case_sqlite(c), "SELECT id, path, kind, size, sha256 FROM evidence ORDER BY id", -1, &s,
	                       NULL) != SQLITE_OK)
		return sql_fail(c, err, "read evidence");
	lt_status st = LT_OK;
	char why[512];
	while (st == LT_OK && sqlite3_step(s) == SQLITE_ROW) {
		const char *path = text(s, 1);
		if (!wanted(path, only, nonly))
			continue;
		if (strcmp(text(s, 2), "dir") != 0) {
			st = say(&w, check_file(path, size_col(s, 3), text(s, 4), hash_max, why, sizeof why), path, "", why,
			         err);
			continue;
		}
		struct stat sb;
		if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(why, sizeof why, "evidence folder gone since it was indexed");
			st = say(&w, FILE_MISSING, path, "", why, err);
			continue;
		}
		char *dir = strdup(path);
		st = dir == NULL ? lt_error_set(err, LT_EFATAL, "out of memory")
		                 : check_folder(c, sqlite3_column_int64(s, 0), dir, &w, err);
		free(dir);
	}
	sqlite3_finalize(s);
	return st;
}

lt_status custody_check_member(case_db *c, int64_t member_id, uint64_t hash_max, int *issue, const char **kind,
                               char *reason, size_t reason_cap, lt_error *err)
{
	*issue = 0;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(case_sqlite(c),
	                       "SELECT e.path, e.kind, e.size, e.sha256, m.path,"
	                       " (SELECT h.size FROM members h WHERE h.evidence_id = m.evidence_id AND h.path = ?2),"
	                       " (SELECT h.sha256 FROM members h WHERE h.evidence_id = m.evidence_id AND h.path = ?2)"
	                       " FROM members m JOIN evidence e ON e.id = m.evidence_id WHERE m.id = ?1",
	                       -1, &s, NULL) != SQLITE_OK)
		return sql_fail(c, err, "read member");
	sqlite3_bind_int64(s, 1, member_id);
	sqlite3_bind_null(s, 2);
	lt_status st = LT_OK;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return LT_OK;
	}
	char *ev = strdup(text(s, 0)), *mem = strdup(text(s, 4));
	int dir = strcmp(text(s, 1), "dir") == 0;
	file_verdict v = FILE_SAME;
	if (ev == NULL || mem == NULL) {
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	} else if (!dir) {
		v = check_file(ev, size_col(s, 2), text(s, 3), hash_max, reason, reason_cap);
	} else {
		size_t h = holder_len(ev, mem, &(dir_cache){.n = 0});
		if (h == 0) {
			snprintf(reason, reason_cap, "gone since it was indexed");
			v = FILE_MISSING;
		} else { /* the holder's own row: the member, or its archive */
			mem[h] = '\0';
			sqlite3_reset(s);
			sqlite3_bind_text(s, 2, mem, -1, SQLITE_TRANSIENT);
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/%s", ev, mem);
			if (sqlite3_step(s) == SQLITE_ROW)
				v = check_file(path, size_col(s, 5), text(s, 6), hash_max, reason, reason_cap);
		}
	}
	sqlite3_finalize(s);
	free(ev);
	free(mem);
	*issue = v != FILE_SAME;
	*kind = v == FILE_MISSING ? "missing" : "changed";
	return st;
}

/*
 * outpath.c — output paths kept out of the evidence (see outpath.h).
 *
 * resolve() splits a path at its longest existing prefix, realpath()s that
 * and appends the rest component by component, dropping "." and popping on
 * ".."; the result is absolute and free of symlinks, so "inside" is a plain
 * prefix test at a '/' boundary.
 */
#include "config.h"

#include "cmd/outpath.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/exitcode.h"
#include "common/buf.h"
#include "store/case.h"

/* Appends the components of rest to out (absolute, resolved), lexically. */
static int append_lexical(char *out, size_t cap, const char *rest)
{
	while (*rest) {
		while (*rest == '/')
			rest++;
		size_t n = strcspn(rest, "/");
		if (n == 0)
			break;
		if (n == 1 && rest[0] == '.') {
		} else if (n == 2 && rest[0] == '.' && rest[1] == '.') {
			char *slash = strrchr(out, '/');
			if (slash == out)
				out[1] = '\0'; /* "/.." is "/" */
			else if (slash != NULL)
				*slash = '\0';
		} else {
			size_t len = strlen(out);
			size_t need_sep = len == 0 || out[len - 1] != '/' ? 1 : 0;
			if (len + need_sep + n + 1 > cap)
				return -1;
			if (need_sep)
				out[len++] = '/';
			memcpy(out + len, rest, n);
			out[len + n] = '\0';
		}
		rest += n;
	}
	return 0;
}

/* The absolute, symlink-free form of path, existing or not; -1 if it cannot be formed. */
static int resolve(const char *path, char out[PATH_MAX])
{
	char head[PATH_MAX];
	if (snprintf(head, sizeof head, "%s", path) >= (int)sizeof head)
		return -1;
	size_t cut = strlen(head);
	for (;;) {
		char saved = head[cut];
		head[cut] = '\0';
		const char *try = cut == 0 ? (path[0] == '/' ? "/" : ".") : head;
		if (realpath(try, out) != NULL) {
			head[cut] = saved;
			return append_lexical(out, PATH_MAX, path + cut);
		}
		head[cut] = saved;
		if (cut == 0)
			return -1;
		while (cut > 0 && head[cut - 1] == '/') /* to the previous component */
			cut--;
		while (cut > 0 && head[cut - 1] != '/')
			cut--;
	}
}

static int is_inside(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	if (strcmp(outer, "/") == 0)
		return 1;
	return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

static void say_inside(const char *what, const char *out, const char *evidence)
{
	buf b;
	buf_init(&b, 0);
	if (buf_printf(&b, "llmtrail: %s ", what) == LT_OK && case_escape_text(&b, out, strlen(out)) == LT_OK &&
	    buf_puts(&b, " is inside the evidence ") == LT_OK &&
	    case_escape_text(&b, evidence, strlen(evidence)) == LT_OK)
		fprintf(stderr, "%s: llmtrail never writes into evidence; choose another place\n", buf_cstr(&b));
	buf_free(&b);
}

int outpath_check(const char *what, const char *out, const char *const *evidence, size_t n)
{
	char o[PATH_MAX];
	if (resolve(out, o) != 0)
		return 0; /* cannot be formed: opening it fails later with its own message */
	for (size_t i = 0; i < n; i++) {
		char e[PATH_MAX];
		struct stat sb;
		if (stat(evidence[i], &sb) != 0 || realpath(evidence[i], e) == NULL)
			continue;
		if (is_inside(o, e)) {
			say_inside(what, out, evidence[i]);
			return LT_EXIT_USAGE;
		}
	}
	return 0;
}

int outpath_check_case(const char *what, const char *out, const char *case_path)
{
	case_db *c = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (case_open(case_path, CASE_READONLY, &c, &err) != LT_OK)
		return 0;
	sqlite3_stmt *s = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(case_sqlite(c), "SELECT path FROM evidence ORDER BY id", -1, &s, NULL) == SQLITE_OK) {
		while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
			const char *e = (const char *)sqlite3_column_text(s, 0);
			if (e != NULL)
				rc = outpath_check(what, out, &e, 1);
		}
	}
	sqlite3_finalize(s);
	case_close(c);
	return rc;
}

int outpath_mkdirs(const char *dir)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	struct stat sb;
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
		return -1;
	if (stat(p, &sb) != 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

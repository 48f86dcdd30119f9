/*
 * outpath.c — output paths kept out of the evidence (see outpath.h).
 *
 * resolve() splits a path at its longest existing prefix, realpath()s that
 * and appends the rest component by component, dropping "." and popping on
 * ".."; the result is absolute and free of symlinks, so "inside" is a plain
 * prefix test at a '/' boundary.
 */
#include "config.h"

#include "pipeline/outpath.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/exitcode.h"
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

typedef struct recorded_ctx {
	const char *what, *out;
} recorded_ctx;

static int check_recorded(void *vctx, const char *path)
{
	const recorded_ctx *rc = vctx;
	return outpath_check(rc->what, rc->out, &path, 1);
}

int outpath_check_case(const char *what, const char *out, const char *case_path)
{
	case_db *c = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (case_open(case_path, CASE_READONLY, &c, &err) != LT_OK)
		return 0;
	recorded_ctx rc = {what, out};
	int code = case_each_evidence_path(c, check_recorded, &rc, &err);
	case_close(c);
	return code > 0 ? code : 0;
}

typedef struct same_ctx {
	const char *const *evidence;
	size_t n;
	const char *other; /* first recorded path none of evidence covers (owned) */
} same_ctx;

/* Nonzero when path (recorded in the case) is none of the evidence given
 * now nor inside one of them. */
static int recorded_elsewhere(void *vctx, const char *path)
{
	same_ctx *sc = vctx;
	char r[PATH_MAX], e[PATH_MAX];
	int have_r = resolve(path, r) == 0;
	for (size_t i = 0; i < sc->n; i++) {
		if (strcmp(path, sc->evidence[i]) == 0)
			return 0;
		if (have_r && resolve(sc->evidence[i], e) == 0 && is_inside(r, e))
			return 0;
	}
	sc->other = strdup(path);
	return 1;
}

int outpath_check_same_case(const char *case_path, const char *const *evidence, size_t n)
{
	struct stat sb;
	if (stat(case_path, &sb) != 0)
		return 0;
	case_db *c = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (case_open(case_path, CASE_READONLY, &c, &err) != LT_OK)
		return 0; /* index says why when it opens it */
	same_ctx sc = {evidence, n, NULL};
	int found = case_each_evidence_path(c, recorded_elsewhere, &sc, &err);
	case_close(c);
	if (found <= 0) {
		free((char *)(uintptr_t)sc.other);
		return 0;
	}
	buf b;
	buf_init(&b, 0);
	if (buf_puts(&b, "llmtrail: ") == LT_OK && case_escape_text(&b, case_path, strlen(case_path)) == LT_OK &&
	    buf_puts(&b, " already holds a case of other evidence (") == LT_OK &&
	    (sc.other == NULL || case_escape_text(&b, sc.other, strlen(sc.other)) == LT_OK))
		fprintf(stderr, "%s): give --append to add this evidence to that investigation, or choose another -o\n",
		        buf_cstr(&b));
	buf_free(&b);
	free((char *)(uintptr_t)sc.other);
	return LT_EXIT_USAGE;
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

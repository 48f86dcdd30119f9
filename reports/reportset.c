/*
 * reportset.c — staging a report set and swapping it in (see reportset.h).
 *
 * begin: mkdtemp beside DIR (trailing slashes stripped). commit: when DIR is
 * a real folder holding only regular files, link its non-report files into
 * the staging folder, exchange the two names (the renameat2 system call:
 * glibc may not wrap it), then empty and remove the old folder; otherwise
 * (or when the exchange is refused) rename file by file. clear_dir removes
 * the regular files of a folder and the folder.
 */
#include "config.h"

#include "reports/reportset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

struct report_set {
	char dir[PATH_MAX];
	char stage[PATH_MAX + 32];
	const char *const *names;
	size_t n;
};

static int is_report_name(const report_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

static int exchange(const char *a, const char *b)
{
#if defined(__linux__) && defined(SYS_renameat2)
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2u /* RENAME_EXCHANGE */);
#else
	(void)a;
	(void)b;
	errno = ENOSYS;
	return -1;
#endif
}

static void clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		char p[PATH_MAX * 2];
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

lt_status report_set_begin(const char *dir, const char *const *names, size_t n, report_set **out, lt_error *err)
{
	*out = NULL;
	report_set *s = calloc(1, sizeof *s);
	if (s == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof s->dir) {
		free(s);
		return lt_error_set(err, LT_EFATAL, "output path too long: %s", dir);
	}
	memcpy(s->dir, dir, len);
	s->dir[len] = '\0';
	snprintf(s->stage, sizeof s->stage, "%s.llmtrail-new.XXXXXX", s->dir);
	if (mkdtemp(s->stage) == NULL) {
		lt_status st = lt_error_set(err, LT_EFATAL, "cannot create %s: %s", s->stage, strerror(errno));
		free(s);
		return st;
	}
	s->names = names;
	s->n = n;
	*out = s;
	return LT_OK;
}

const char *report_set_path(const report_set *s)
{
	return s->stage;
}

void report_set_abort(report_set *s)
{
	if (s == NULL)
		return;
	clear_dir(s->stage);
	free(s);
}

/* Links DIR's files that are not report files into the staging folder; -1
 * when DIR holds something else than regular files, or a link fails. */
static int link_others(report_set *s)
{
	DIR *d = opendir(s->dir);
	if (d == NULL)
		return -1;
	int rc = 0;
	struct dirent *e;
	char from[PATH_MAX * 2], to[PATH_MAX * 2];
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || is_report_name(s, e->d_name))
			continue;
		struct stat sb;
		snprintf(from, sizeof from, "%s/%s", s->dir, e->d_name);
		snprintf(to, sizeof to, "%s/%s", s->stage, e->d_name);
		if (lstat(from, &sb) != 0 || !S_ISREG(sb.st_mode) || link(from, to) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* Moves the staged files into DIR one by one and drops stale report files. */
static lt_status commit_by_file(report_set *s, lt_error *err)
{
	char from[PATH_MAX * 2], to[PATH_MAX * 2];
	lt_status st = LT_OK;
	for (size_t i = 0; i < s->n && st == LT_OK; i++) {
		snprintf(from, sizeof from, "%s/%s", s->stage, s->names[i]);
		snprintf(to, sizeof to, "%s/%s", s->dir, s->names[i]);
		if (rename(from, to) == 0)
			continue;
		if (errno != ENOENT)
			st = lt_error_set(err, LT_EFATAL, "cannot move %s into place: %s", to, strerror(errno));
		else if (unlink(to) != 0 && errno != ENOENT)
			st = lt_error_set(err, LT_EFATAL, "cannot remove the stale %s: %s", to, strerror(errno));
	}
	clear_dir(s->stage);
	return st;
}

lt_status report_set_commit(report_set *s, int *atomic, lt_error *err)
{
	*atomic = 0;
	struct stat sb;
	lt_status st = LT_OK;
	if (lstat(s->dir, &sb) != 0 && errno == ENOENT) {
		if (rename(s->stage, s->dir) == 0)
			*atomic = 1;
		else
			st = lt_error_set(err, LT_EFATAL, "cannot move %s to %s: %s", s->stage, s->dir, strerror(errno));
	} else if (S_ISDIR(sb.st_mode) && strcmp(s->dir, ".") != 0 && link_others(s) == 0 &&
	           exchange(s->stage, s->dir) == 0) {
		*atomic = 1;
		clear_dir(s->stage); /* the old set, and the other names of the linked files */
	} else {
		st = commit_by_file(s, err);
	}
	if (!*atomic || st != LT_OK)
		clear_dir(s->stage);
	free(s);
	return st;
}

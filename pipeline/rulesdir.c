/*
 * rulesdir.c — locating the shipped rule packs (see rulesdir.h). The build
 * passes its own absolute paths (LLMTRAIL_BUILDDIR_ABS, LLMTRAIL_SOURCE_RULES)
 * so that a binary can tell whether it is running from its build tree.
 */
#include "config.h"

#include "pipeline/rulesdir.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *try_dir(char *out, size_t n, const char *a, const char *b)
{
	int w = snprintf(out, n, "%s%s", a, b);
	if (w > 0 && (size_t)w < n && is_dir(out))
		return out;
	return NULL;
}

/* The folder holding the running binary, or "" if unknown. */
static void exe_dir(char *out, size_t n)
{
	ssize_t l = readlink("/proc/self/exe", out, n - 1);
	if (l <= 0) {
		out[0] = '\0';
		return;
	}
	out[l] = '\0';
	char *slash = strrchr(out, '/');
	if (slash != NULL)
		*slash = '\0';
}

const char *rulesdir_find(char *out, size_t n)
{
	const char *env = getenv("LLMTRAIL_RULES_DIR");
	if (env != NULL && env[0] != '\0')
		return try_dir(out, n, env, "");
	char exe[PATH_MAX];
	exe_dir(exe, sizeof exe);
#if defined(LLMTRAIL_BUILDDIR_ABS) && defined(LLMTRAIL_SOURCE_RULES)
	char real_build[PATH_MAX];
	if (exe[0] != '\0' && realpath(LLMTRAIL_BUILDDIR_ABS, real_build) != NULL &&
	    strcmp(real_build, exe) == 0 && try_dir(out, n, LLMTRAIL_SOURCE_RULES, ""))
		return out;
#endif
	if (try_dir(out, n, LLMTRAIL_DATADIR, "/rules"))
		return out;
	if (exe[0] != '\0' && (try_dir(out, n, exe, "/rules") || try_dir(out, n, exe, "/../rules")))
		return out;
	return NULL;
}

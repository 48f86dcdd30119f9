/*
 * withcase.c — open a case index read-only around a command's work (see withcase.h).
 */
#include "cmd/withcase.h"

#include "pipeline/exitcode.h"
#include "common/log.h"

int with_case(const char *path, int (*fn)(case_db *c, void *ctx), void *ctx)
{
	case_db *c = NULL;
	lt_error err;
	lt_error_clear(&err);
	if (case_open(path, CASE_READONLY, &c, &err) != LT_OK) {
		log_lt_error(&err);
		return LT_EXIT_FATAL;
	}
	int rc = fn(c, ctx);
	case_close(c);
	return rc;
}

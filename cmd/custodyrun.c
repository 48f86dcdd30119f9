/*
 * custodyrun.c — custody issues and problems on stderr (see custodyrun.h).
 */
#include "config.h"

#include "cmd/custodyrun.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/custody.h"
#include "store/writer.h"

void say_problem(const char *kind, const char *file, const char *member, uint64_t line, const char *reason)
{
	buf b;
	buf_init(&b, 0);
	lt_status st = buf_printf(&b, "llmtrail: %s: ", kind);
	if (st == LT_OK)
		st = case_escape_text(&b, file, strlen(file));
	if (st == LT_OK && member && *member) {
		st = buf_puts(&b, ": ");
		if (st == LT_OK)
			st = case_escape_text(&b, member, strlen(member));
	}
	if (st == LT_OK && line > 0)
		st = buf_printf(&b, ": line %llu", (unsigned long long)line);
	if (st == LT_OK)
		st = buf_puts(&b, ": ");
	if (st == LT_OK)
		st = case_escape_text(&b, reason, strlen(reason));
	/* a note (said, not a fault) is not an error: -q keeps it in the reports only */
	log_level need = strcmp(kind, PROBLEM_NOTE) == 0 ? LT_LOG_WARN : LT_LOG_ERROR;
	if (st == LT_OK && log_get_level() >= need)
		fprintf(stderr, "%s\n", buf_cstr(&b));
	buf_free(&b);
}

typedef struct say_ctx {
	int missing_only;
	report *r;
	int64_t n;
} say_ctx;

static lt_status on_issue(void *vctx, const custody_issue *i, lt_error *err)
{
	say_ctx *x = vctx;
	if (x->missing_only && strcmp(i->kind, "missing") != 0)
		return LT_OK;
	x->n++;
	say_problem(i->kind, i->evidence, i->member, 0, i->reason);
	if (x->r == NULL)
		return LT_OK;
	char reason[LT_ERROR_MSG_MAX + 64];
	snprintf(reason, sizeof reason, "%s: %s", i->kind, i->reason);
	return report_add_problem(x->r, i->evidence, i->member, 0, RPT_SEV_ERROR, reason, err);
}

int64_t custody_say(case_db *c, const char *const *only, size_t nonly, uint64_t hash_max, int missing_only, report *r)
{
	say_ctx x = {missing_only, r, 0};
	uint64_t issues = 0;
	lt_error err;
	lt_error_clear(&err);
	if (custody_check(c, only, nonly, hash_max, on_issue, &x, &issues, &err) != LT_OK) {
		log_lt_error(&err);
		return -1;
	}
	return x.n;
}

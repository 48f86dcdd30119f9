/*
 * custodyrun.c — custody issues and problems on stderr (see custodyrun.h).
 */
#include "config.h"

#include "pipeline/custodyrun.h"

#include <stdio.h>
#include <stdlib.h>
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

/* ---- finding the issues (any thread) and saying them (the caller's) ---- */

typedef struct found_issue {
	char *kind, *evidence, *member, *reason;
} found_issue;

struct custody_found {
	found_issue *v;
	size_t n, cap;
	int missing_only;
};

static lt_status keep_issue(void *vctx, const custody_issue *i, lt_error *err)
{
	custody_found *f = vctx;
	if (f->missing_only && strcmp(i->kind, "missing") != 0)
		return LT_OK;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		found_issue *v = realloc(f->v, cap * sizeof *v);
		if (v == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		f->v = v;
		f->cap = cap;
	}
	found_issue *x = &f->v[f->n];
	x->kind = strdup(i->kind);
	x->evidence = strdup(i->evidence);
	x->member = strdup(i->member ? i->member : "");
	x->reason = strdup(i->reason);
	f->n++; /* counted before the check: custody_found_free frees what was copied */
	if (!x->kind || !x->evidence || !x->member || !x->reason)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	return LT_OK;
}

custody_found *custody_find(case_db *c, const char *const *only, size_t nonly, uint64_t hash_max, int missing_only,
                            lt_error *err)
{
	custody_found *f = calloc(1, sizeof *f);
	if (f == NULL) {
		lt_error_set(err, LT_EFATAL, "out of memory");
		return NULL;
	}
	f->missing_only = missing_only;
	uint64_t issues = 0;
	if (custody_check(c, only, nonly, hash_max, keep_issue, f, &issues, err) != LT_OK) {
		custody_found_free(f);
		return NULL;
	}
	return f;
}

int64_t custody_found_say(const custody_found *f, report *r)
{
	for (size_t k = 0; k < f->n; k++) {
		const found_issue *i = &f->v[k];
		say_problem(i->kind, i->evidence, i->member, 0, i->reason);
		if (r == NULL)
			continue;
		char reason[LT_ERROR_MSG_MAX + 64];
		snprintf(reason, sizeof reason, "%s: %s", i->kind, i->reason);
		lt_error err;
		lt_error_clear(&err);
		if (report_add_problem(r, i->evidence, i->member, 0, RPT_SEV_ERROR, reason, &err) != LT_OK) {
			log_lt_error(&err);
			return -1;
		}
	}
	return (int64_t)f->n;
}

void custody_found_free(custody_found *f)
{
	if (f == NULL)
		return;
	for (size_t k = 0; k < f->n; k++) {
		free(f->v[k].kind);
		free(f->v[k].evidence);
		free(f->v[k].member);
		free(f->v[k].reason);
	}
	free(f->v);
	free(f);
}

int64_t custody_say(case_db *c, const char *const *only, size_t nonly, uint64_t hash_max, int missing_only, report *r)
{
	lt_error err;
	lt_error_clear(&err);
	custody_found *f = custody_find(c, only, nonly, hash_max, missing_only, &err);
	if (f == NULL) {
		log_lt_error(&err);
		return -1;
	}
	int64_t n = custody_found_say(f, r);
	custody_found_free(f);
	return n;
}

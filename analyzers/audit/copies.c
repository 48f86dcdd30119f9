/*
 * copies.c — conflicting copies to the report (see copies.h).
 *
 * One pass over the case's conflicts table (evdup_each_conflict, in time
 * order). Each conflict is one integrity row ("conflicting copy", invalid)
 * and one builtin hit whose group is the copy's uid and location (member,
 * or the evidence file's name, and line), so that conflicts do not merge
 * into one finding; the hit carries the copy's
 * evidence and member, and its detail names the other copy and the fields
 * that differ (evdup_describe).
 */
#include "config.h"

#include "analyzers/audit/copies.h"

#include <stdio.h>
#include <string.h>

#include "analyzers/audit/builtin_rules.h"
#include "common/buf.h"
#include "store/evdup.h"

static const builtin_rule rule_high = {
	"llmtrail-integrity-conflicting-copy", "Same event id with different content", RPT_LEVEL_HIGH,
	"Two records carry the same id (CloudTrail eventID or invocation requestId) and time but differ in "
	"who, what, from where or with which parameters or outcome: one of them was planted or altered. Both "
	"are kept; `llmtrail show CASE ID` prints both with their provenance.",
	"attack.defense-evasion", false};
static const builtin_rule rule_medium = {
	"llmtrail-integrity-conflicting-copy-metadata", "Same event id with different metadata", RPT_LEVEL_MEDIUM,
	"Two records carry the same id and time and differ only in fields that do not name identity, action, "
	"parameters or outcome. Both are kept.",
	"attack.defense-evasion", false};

typedef struct copies_ctx {
	report *r;
	size_t idx_high, idx_medium;
	buf detail, where;
} copies_ctx;

static lt_status add_one(void *vctx, const evdup_conflict_row *row, lt_error *err)
{
	copies_ctx *x = vctx;
	buf_reset(&x->detail);
	buf_reset(&x->where);
	const char *base = strrchr(row->evidence, '/');
	const char *name = *row->member ? row->member : base ? base + 1 : row->evidence;
	if (evdup_describe(row, 1, &x->detail) != LT_OK ||
	    buf_printf(&x->where, "%s in %s line %llu", row->uid, name, (unsigned long long)row->line) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	const char *where = buf_cstr(&x->where), *detail = buf_cstr(&x->detail);
	lt_status st = report_add_integrity(x->r, where, "conflicting copy", RPT_CHECK_INVALID, detail, err);
	if (st != LT_OK)
		return st;
	builtin_hit h;
	memset(&h, 0, sizeof h);
	h.source = "integrity";
	h.uid = row->uid;
	h.group_name = "copy";
	h.group_value = where;
	h.time_us = row->time_us;
	h.action = "conflicting copy";
	h.evidence = row->evidence;
	h.member = row->member;
	h.detail_field = "detail";
	h.detail = detail;
	int high = strcmp(row->level, "high") == 0;
	return builtin_add_hit(x->r, high ? x->idx_high : x->idx_medium, &h, err);
}

lt_status copies_add_to_report(case_db *c, report *r, lt_error *err)
{
	copies_ctx x = {r, 0, 0, {0}, {0}};
	buf_init(&x.detail, 0);
	buf_init(&x.where, 0);
	lt_status st = builtin_add_rule(r, &rule_high, &x.idx_high, err);
	if (st == LT_OK)
		st = builtin_add_rule(r, &rule_medium, &x.idx_medium, err);
	if (st == LT_OK)
		st = evdup_each_conflict(c, add_one, &x, err);
	buf_free(&x.detail);
	buf_free(&x.where);
	return st;
}

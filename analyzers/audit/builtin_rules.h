/*
 * builtin_rules.h — the `builtin` rule pack: findings raised by llmtrail's own
 * analyzers (usage anomalies, reconciliation gaps, digest verification) rather
 * than by Sigma rules, so that they flow into every report like rule hits.
 *
 * A builtin rule is declared once as a static builtin_rule (id, title, level)
 * and added to a report with builtin_add_rule, which also registers the pack
 * "builtin" the first time. A finding that is not one event (a missing file, a
 * time window) is added with builtin_add_hit: it makes a synthetic event whose
 * source names the analyzer ("integrity", "reconcile", "metrics"), whose uid
 * names the object or window, and whose group keeps unrelated findings apart.
 *
 * Ownership: nothing is kept; the report copies every string.
 * Failures: the report's (LT_EITEM bad argument, LT_EFATAL out of memory).
 */
#ifndef LLMTRAIL_ANALYZERS_BUILTIN_RULES_H
#define LLMTRAIL_ANALYZERS_BUILTIN_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "model/report.h"

#define BUILTIN_PACK "builtin"

typedef struct builtin_rule {
	const char *id;    /* "llmtrail-integrity-logfile-altered" */
	const char *title;
	rpt_level level;
	const char *description;
	const char *tag;   /* one tag, e.g. "attack.defense-evasion"; may be NULL */
	bool effect;       /* its events are the effect of another act: tagged RPT_TAG_EFFECT too */
} builtin_rule;

/* Adds the rule (and the pack on first use). *index for builtin_add_hit. */
lt_status builtin_add_rule(report *r, const builtin_rule *def, size_t *index, lt_error *err) LT_WUR;

/* A synthetic hit: one finding per distinct (rule, group_name=group_value).
 * evidence/member and every optional string may be NULL. */
typedef struct builtin_hit {
	const char *source;      /* "integrity", "reconcile", "metrics" */
	const char *uid;         /* object or window name */
	const char *group_name;  /* e.g. "object", "window" */
	const char *group_value;
	int64_t time_us;
	const char *principal;   /* may be NULL */
	const char *account;
	const char *region;
	const char *action;
	const char *evidence;    /* where the object was found; may be NULL */
	const char *member;
	const char *detail_field; /* e.g. "detail"; a match on it carries the explanation */
	const char *detail;
} builtin_hit;

lt_status builtin_add_hit(report *r, size_t rule, const builtin_hit *h, lt_error *err) LT_WUR;

#endif

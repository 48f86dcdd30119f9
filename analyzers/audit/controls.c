/*
 * controls.c — compliance controls evaluated over a scan (see controls.h,
 * docs/controls.md).
 *
 * Each control keeps one tally per source (CloudTrail runtime calls,
 * invocation-log records): items checked, violations, the first
 * RPT_CONTROL_EXAMPLES violations as text lines, and violations per UTC day
 * (for the worst day). Per-event checks are pure functions of the event
 * (model key, region, principal glob, guardrail in the request, credential);
 * budgets add tokens and invocations per (day, principal) in two capped
 * counting maps; the evidence-level controls (logging coverage, digest
 * chain) are read from the reconciliation and verification summaries; the
 * finding-level ones (disclosure, incidents) from the report at the end.
 * A control is judged on its preferred source and falls back to the other
 * only when the preferred one holds nothing, so one invocation seen in both
 * logs is never counted twice; the guardrail control splits the calls by
 * operation instead (InvokeModel*: CloudTrail's requestParameters carry the
 * guardrail header; Converse*: only the invocation log's request body does).
 */
#include "config.h"

#include "analyzers/audit/controls.h"
#include "analyzers/audit/period.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ltime.h"
#include "model/strmap.h"

#define SRC_CT 0
#define SRC_INV 1
#define DAY_US (86400LL * 1000000LL)

typedef struct tally {
	uint64_t checked, violations, unknown;
	char *examples[RPT_CONTROL_EXAMPLES];
	size_t nexamples;
	strmap *days; /* "YYYY-MM-DD" -> violations */
} tally;

typedef struct ctl {
	const policy_control *pc;
	tally t[2];
	strmap *tokens, *invocations; /* budget: "YYYY-MM-DD principal" */
	strmap *ptag;                 /* budget per tag: principal -> its tag value's index + 1 in tagvals */
	strmap *tagvals;              /* tag values, in the order first seen */
	uint64_t other[2];            /* guardrail: calls of the source left to the other one */
	bool budget_full;
	char over_tokens[32], over_invocations[32]; /* " (limit N)" */
	/* integrity, copied from the results */
	bool integrity_known;
	rpt_control_status status; /* logging coverage / digest chain, when judged there */
	/* text delivery: the latest logging configuration CloudTrail showed */
	int td_latest;         /* -1 none seen, 0 text delivery off, 1 on */
	char td_latest_at[LTIME_BUFSZ];
	char detail[512];
} ctl;

struct controls {
	const policy *p;
	ctl *c;
	size_t n;
	uint64_t invocations[2];
	int64_t first_us, last_us;
	bool needs_doc; /* a control reads the record, not only the header */
	bool tags_doc;  /* a budget per tag reads every CloudTrail record's principal tags */
};

/* ---- tallies ------------------------------------------------------------- */

static void tally_free(tally *t)
{
	for (size_t i = 0; i < t->nexamples; i++)
		free(t->examples[i]);
	strmap_free(t->days);
}

static void day_of(int64_t us, char out[LTIME_BUFSZ])
{
	ltime_format(us, 0, out);
	out[10] = '\0';
}

static lt_status violation(tally *t, int64_t time_us, const char *line, lt_error *err)
{
	t->violations++;
	if (t->nexamples < RPT_CONTROL_EXAMPLES) {
		if ((t->examples[t->nexamples] = strdup(line)) == NULL)
			return lt_error_set(err, LT_EFATAL, "controls: out of memory");
		t->nexamples++;
	}
	if (time_us == INT64_MIN)
		return LT_OK;
	char day[LTIME_BUFSZ];
	day_of(time_us, day);
	bool full = false;
	uint64_t *slot = strmap_slot(t->days, day, 10, true, &full);
	if (slot == NULL && !full)
		return lt_error_set(err, LT_EFATAL, "controls: out of memory");
	if (slot != NULL)
		(*slot)++;
	return LT_OK;
}

/* The day with the most violations (earliest on ties). */
static void worst_day(const tally *t, char out[16], uint64_t *count)
{
	out[0] = '\0';
	*count = 0;
	for (size_t i = 0; i < strmap_count(t->days); i++) {
		const char *k;
		size_t n;
		uint64_t v;
		strmap_entry(t->days, i, &k, &n, &v);
		if (v > *count || (v == *count && n == 10 && strncmp(k, out, 10) < 0)) {
			*count = v;
			snprintf(out, 16, "%.*s", (int)n, k);
		}
	}
}

/* ---- events ---------------------------------------------------------------- */

static bool str_is(ev_str s, const char *c) { return ev_str_eq(s, c) != 0; }

/* SRC_CT, SRC_INV, or -1 when ev is not an invocation. */
static int invocation_source(const event *ev)
{
	if (ev->source == EV_SRC_INVOCATION)
		return SRC_INV;
	return period_runtime_call(ev) ? SRC_CT : -1;
}

static void describe(const event *ev, const char *what, char *out, size_t n)
{
	char t[LTIME_BUFSZ];
	ltime_format(ev->time_us, 0, t);
	snprintf(out, n, "%s %s: %.*s (principal %.*s, region %.*s, %s %.*s)", t, what, (int)ev->model.n,
	         ev->model.p ? ev->model.p : "", (int)ev->principal.n, ev->principal.p ? ev->principal.p : "",
	         (int)ev->region.n, ev->region.p ? ev->region.p : "", ev_source_name(ev->source), (int)ev->uid.n,
	         ev->uid.p ? ev->uid.p : "");
}

/* Converse* (the request body, guardrailConfig included, is in the
 * invocation log only) as opposed to InvokeModel* (the guardrail is a header
 * CloudTrail records in requestParameters). */
static bool is_converse(const event *ev)
{
	return str_is(ev->action, "Converse") || str_is(ev->action, "ConverseStream");
}

static bool in_list(const policy_control *pc, ev_str s)
{
	for (size_t i = 0; i < pc->nvalues; i++)
		if (strlen(pc->values[i]) == s.n && s.n > 0 && memcmp(pc->values[i], s.p, s.n) == 0)
			return true;
	return false;
}

static bool principal_in(const policy_control *pc, ev_str p)
{
	for (size_t i = 0; i < pc->nvalues; i++)
		if (policy_principal_match(pc->values[i], p.p, p.n))
			return true;
	return false;
}

/* The guardrail a call or record names: its id (empty when it shows a
 * guardrail without naming it) and version; false when it shows none. */
static bool guardrail_of(const event *ev, ev_str *id, ev_str *version)
{
	static const char *const paths[][2] = {
		{"requestParameters.guardrailIdentifier", "requestParameters.guardrailVersion"},
		{"requestParameters.guardrailConfig.guardrailIdentifier", "requestParameters.guardrailConfig.guardrailVersion"},
		{"input.inputBodyJson.guardrailConfig.guardrailIdentifier", "input.inputBodyJson.guardrailConfig.guardrailVersion"},
	};
	*id = *version = EV_STR_NULL;
	for (size_t i = 0; ev->doc != NULL && i < sizeof paths / sizeof paths[0]; i++) {
		ev_str g = ev_str_json(json_get_path(ev->doc, paths[i][0]));
		if (g.n > 0) {
			*id = g;
			*version = ev_str_json(json_get_path(ev->doc, paths[i][1]));
			return true;
		}
	}
	const json_value *a = ev->doc ? json_get_path(ev->doc, "output.outputBodyJson.trace.guardrail.inputAssessment") : NULL;
	if (a != NULL && a->type == JSON_OBJECT && a->len > 0) {
		*id = ev_str_from(a->u.members[0].key, a->u.members[0].key_len);
		return true;
	}
	return ev->guardrail_action.n > 0;
}

/* 1 the guardrail required is there, 0 it is not, -1 a guardrail is shown
 * without its id or version and the control names one. */
static int guardrail_ok(const policy_control *pc, const event *ev)
{
	ev_str id, ver;
	if (!guardrail_of(ev, &id, &ver))
		return 0;
	if (pc->guardrail_id == NULL)
		return 1;
	if (id.n == 0 || (pc->guardrail_version != NULL && ver.n == 0))
		return -1;
	/* the id may be given as an ARN ending in "/<id>" */
	size_t gl = strlen(pc->guardrail_id);
	bool id_ok = (id.n == gl && memcmp(id.p, pc->guardrail_id, gl) == 0) ||
	             (id.n > gl && id.p[id.n - gl - 1] == '/' && memcmp(id.p + id.n - gl, pc->guardrail_id, gl) == 0);
	bool ver_ok = pc->guardrail_version == NULL || str_is(ver, pc->guardrail_version);
	return id_ok && ver_ok;
}

/* Root, or a long-term access key (AKIA...): "" when neither. */
static const char *credential_fault(const event *ev)
{
	const json_value *type = ev->doc ? json_get_path(ev->doc, "userIdentity.type") : NULL;
	if (json_str_eq(type, "Root") || (ev->principal.n >= 5 && memcmp(ev->principal.p + ev->principal.n - 5, ":root", 5) == 0))
		return "invoked by the root user";
	if (ev->access_key.n >= 4 && memcmp(ev->access_key.p, "AKIA", 4) == 0)
		return (ev->flags & EV_F_BEARER_TOKEN) ? "invoked with a long-term Bedrock API key"
		                                       : "invoked with a long-term access key";
	return "";
}

static lt_status budget_add(ctl *k, const event *ev)
{
	if (k->budget_full)
		return LT_OK;
	char key[LTIME_BUFSZ + 1100];
	char day[LTIME_BUFSZ];
	day_of(ev->time_us, day);
	int n = snprintf(key, sizeof key, "%s %.*s", day, (int)(ev->principal.n > 1024 ? 1024 : ev->principal.n),
	                 ev->principal.p ? ev->principal.p : "");
	bool full = false;
	uint64_t *tok = strmap_slot(k->tokens, key, (size_t)n, true, &full);
	uint64_t *inv = tok ? strmap_slot(k->invocations, key, (size_t)n, true, &full) : NULL;
	if (full) {
		k->budget_full = true;
		return LT_OK;
	}
	if (tok == NULL || inv == NULL)
		return LT_EFATAL;
	*tok += (uint64_t)(ev->input_tokens > 0 ? ev->input_tokens : 0) + (uint64_t)(ev->output_tokens > 0 ? ev->output_tokens : 0);
	(*inv)++;
	return LT_OK;
}

static lt_status check_event(ctl *k, int src, const event *ev, lt_error *err)
{
	const policy_control *pc = k->pc;
	tally *t = &k->t[src];
	char line[CONTROLS_EXAMPLE_MAX];
	const char *what = NULL;
	switch (pc->kind) {
	case POLICY_APPROVED_MODELS:
		what = in_list(pc, ev->model) ? NULL : "unapproved model";
		break;
	case POLICY_APPROVED_REGIONS:
		what = in_list(pc, ev->region) ? NULL : "unapproved region";
		break;
	case POLICY_ALLOWED_PRINCIPALS:
		what = principal_in(pc, ev->principal) ? NULL : "principal not allowed";
		break;
	case POLICY_GUARDRAIL_REQUIRED: {
		if (!principal_in(pc, ev->principal))
			return LT_OK;
		if (is_converse(ev) != (src == SRC_INV)) {
			k->other[src]++; /* the other source judges it */
			return LT_OK;
		}
		int ok = guardrail_ok(pc, ev);
		if (ok < 0) {
			t->checked++;
			t->unknown++;
			return LT_OK;
		}
		what = ok ? NULL : pc->guardrail_id ? "without the required guardrail" : "without a guardrail";
		break;
	}
	case POLICY_NO_ROOT_OR_ACCESS_KEYS:
		what = credential_fault(ev)[0] ? credential_fault(ev) : NULL;
		break;
	case POLICY_BUDGET:
		t->checked++;
		if (src == SRC_INV && budget_add(k, ev) != LT_OK)
			return lt_error_set(err, LT_EFATAL, "controls: out of memory");
		return LT_OK;
	default:
		return LT_OK;
	}
	t->checked++;
	if (what == NULL)
		return LT_OK;
	describe(ev, what, line, sizeof line);
	return violation(t, ev->time_us, line, err);
}

/* PutModelInvocationLoggingConfiguration (the configuration set, in
 * requestParameters) or GetModelInvocationLoggingConfiguration (the one in
 * force, in responseElements), without errorCode: where the configuration
 * is, else NULL. */
static const char *logging_config_path(const event *ev)
{
	if (ev->source != EV_SRC_CLOUDTRAIL || !str_is(ev->service, "bedrock.amazonaws.com") || ev->error_code.n > 0)
		return NULL;
	if (str_is(ev->action, "PutModelInvocationLoggingConfiguration"))
		return "requestParameters.loggingConfig";
	if (str_is(ev->action, "GetModelInvocationLoggingConfiguration"))
		return "responseElements.loggingConfig";
	return NULL;
}

/* An invocation-log record without its text: neither body inline
 * (input.inputBodyJson / output.outputBodyJson) nor delivered to S3
 * (inputBodyS3Path / outputBodyS3Path). */
static bool bodies_absent(const event *ev)
{
	if (ev->doc == NULL)
		return false;
	return json_get_path(ev->doc, "input.inputBodyJson") == NULL && ev->input_body_ref.n == 0 &&
	       json_get_path(ev->doc, "output.outputBodyJson") == NULL && ev->output_body_ref.n == 0;
}

/* text-delivery: a configuration call turning text delivery off (or a
 * configuration without it), and records without bodies, are violations. */
static lt_status check_text_delivery(ctl *k, const event *ev, int src, lt_error *err)
{
	char line[CONTROLS_EXAMPLE_MAX], t[LTIME_BUFSZ];
	const char *path = logging_config_path(ev);
	if (path != NULL) {
		tally *ct = &k->t[SRC_CT];
		const json_value *cfg = ev->doc ? json_get_path(ev->doc, path) : NULL;
		if (cfg == NULL)
			return LT_OK; /* a Get whose response CloudTrail did not record */
		const json_value *on = json_get_path(cfg, "textDataDeliveryEnabled");
		ct->checked++;
		k->td_latest = on != NULL && on->type == JSON_TRUE;
		ltime_format(ev->time_us, 0, k->td_latest_at);
		if (k->td_latest)
			return LT_OK;
		ltime_format(ev->time_us, 0, t);
		snprintf(line, sizeof line, "%s %.*s by %.*s: text delivery %s (event %.*s)", t, (int)ev->action.n, ev->action.p,
		         (int)ev->principal.n, ev->principal.p ? ev->principal.p : "", on ? "disabled" : "not enabled",
		         (int)ev->uid.n, ev->uid.p ? ev->uid.p : "");
		return violation(ct, ev->time_us, line, err);
	}
	if (src != SRC_INV)
		return LT_OK;
	k->t[SRC_INV].checked++;
	if (!bodies_absent(ev))
		return LT_OK;
	describe(ev, "record without its prompt and answer", line, sizeof line);
	return violation(&k->t[SRC_INV], ev->time_us, line, err);
}

/* budget per tag: the principal's tag value, from CloudTrail's
 * userIdentity.sessionContext.principalTags (the first value seen for a
 * principal is kept). */
static lt_status learn_tag(ctl *k, const event *ev)
{
	if (ev->source != EV_SRC_CLOUDTRAIL || ev->doc == NULL || ev->principal.n == 0 ||
	    strmap_find(k->ptag, ev->principal.p, ev->principal.n) != NULL)
		return LT_OK;
	const json_value *tags = json_get_path(ev->doc, "userIdentity.sessionContext.principalTags");
	ev_str v = ev_str_json(tags ? json_get(tags, k->pc->tag) : NULL);
	if (v.n == 0)
		return LT_OK;
	bool full = false;
	uint64_t *id = strmap_slot(k->tagvals, v.p, v.n, false, NULL);
	if (id == NULL) {
		id = strmap_slot(k->tagvals, v.p, v.n, true, &full);
		if (id == NULL)
			return full ? LT_OK : LT_EFATAL;
		*id = strmap_count(k->tagvals) - 1;
	}
	uint64_t *slot = strmap_slot(k->ptag, ev->principal.p, ev->principal.n, true, &full);
	if (slot == NULL)
		return full ? LT_OK : LT_EFATAL;
	*slot = *id + 1;
	return LT_OK;
}

bool controls_wants_record(const controls *c, const event *ev)
{
	return c != NULL && c->needs_doc &&
	       (invocation_source(ev) >= 0 || logging_config_path(ev) != NULL ||
	        (c->tags_doc && ev->source == EV_SRC_CLOUDTRAIL));
}

lt_status controls_add(controls *c, const event *ev, lt_error *err)
{
	int src = invocation_source(ev);
	for (size_t i = 0; i < c->n; i++) {
		ctl *k = &c->c[i];
		if (k->pc->kind == POLICY_TEXT_DELIVERY && check_text_delivery(k, ev, src, err) != LT_OK)
			return err->status;
		if (k->ptag != NULL && learn_tag(k, ev) != LT_OK)
			return lt_error_set(err, LT_EFATAL, "controls: out of memory");
	}
	if (src < 0)
		return LT_OK;
	c->invocations[src]++;
	if (c->first_us == INT64_MIN || ev->time_us < c->first_us)
		c->first_us = ev->time_us;
	if (ev->time_us > c->last_us)
		c->last_us = ev->time_us;
	for (size_t i = 0; i < c->n; i++)
		if (check_event(&c->c[i], src, ev, err) != LT_OK)
			return err->status;
	return LT_OK;
}

/* ---- lifetime ------------------------------------------------------------------ */

controls *controls_new(const policy *p)
{
	controls *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->p = p;
	c->first_us = INT64_MIN;
	c->last_us = INT64_MIN;
	c->n = policy_ncontrols(p);
	if ((c->c = calloc(c->n ? c->n : 1, sizeof *c->c)) == NULL) {
		free(c);
		return NULL;
	}
	bool ok = true;
	for (size_t i = 0; i < c->n; i++) {
		ctl *k = &c->c[i];
		k->pc = policy_control_at(p, i);
		c->needs_doc = c->needs_doc || k->pc->kind == POLICY_GUARDRAIL_REQUIRED ||
		               k->pc->kind == POLICY_NO_ROOT_OR_ACCESS_KEYS || k->pc->kind == POLICY_TEXT_DELIVERY;
		k->td_latest = -1;
		for (int s = 0; s < 2; s++)
			ok = ok && (k->t[s].days = strmap_new(CONTROLS_MAX_DAYS)) != NULL;
		if (k->pc->kind == POLICY_BUDGET)
			ok = ok && (k->tokens = strmap_new(CONTROLS_MAX_BUDGET_KEYS)) != NULL &&
			     (k->invocations = strmap_new(CONTROLS_MAX_BUDGET_KEYS)) != NULL;
		if (k->pc->kind == POLICY_BUDGET && k->pc->tag != NULL) {
			c->needs_doc = c->tags_doc = true;
			ok = ok && (k->ptag = strmap_new(CONTROLS_MAX_BUDGET_KEYS)) != NULL &&
			     (k->tagvals = strmap_new(CONTROLS_MAX_BUDGET_KEYS)) != NULL;
		}
	}
	if (!ok) {
		controls_free(c);
		return NULL;
	}
	return c;
}

void controls_free(controls *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		tally_free(&c->c[i].t[0]);
		tally_free(&c->c[i].t[1]);
		strmap_free(c->c[i].tokens);
		strmap_free(c->c[i].invocations);
		strmap_free(c->c[i].ptag);
		strmap_free(c->c[i].tagvals);
	}
	free(c->c);
	free(c);
}

/* ---- integrity ------------------------------------------------------------------- */

static lt_status note_coverage(ctl *k, const reconcile_result *rr, lt_error *err)
{
	k->integrity_known = true;
	if (rr == NULL || !reconcile_applicable(rr)) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "needs both CloudTrail runtime calls and invocation-log records in the case");
		return LT_OK;
	}
	const reconcile_summary *s = reconcile_get_summary(rr);
	tally *t = &k->t[SRC_CT];
	t->checked = s->ct_calls - s->ct_calls_error;
	for (size_t i = 0; i < reconcile_nwindows(rr); i++) {
		const reconcile_window *w = reconcile_window_at(rr, i);
		if (w->kind != RECONCILE_CT_ONLY && w->kind != RECONCILE_GAP_INV)
			continue;
		char a[LTIME_BUFSZ], b[LTIME_BUFSZ], line[CONTROLS_EXAMPLE_MAX];
		ltime_format(w->first_us, 0, a);
		ltime_format(w->last_us, 0, b);
		if (w->kind == RECONCILE_CT_ONLY)
			snprintf(line, sizeof line, "%s .. %s %s/%s: %zu runtime call(s) without an invocation-log record (%zu matched)",
			         a, b, w->account, w->region, w->count, w->matched);
		else
			snprintf(line, sizeof line, "%s .. %s %s/%s: no invocation-log record at all (%s)", a, b, w->account,
			         w->region, w->cause[0] ? w->cause : "no switch-off call found");
		uint64_t before = t->violations;
		if (violation(t, w->first_us, line, err) != LT_OK)
			return err->status;
		t->violations = before + (w->kind == RECONCILE_CT_ONLY ? w->count : 1);
	}
	k->status = t->violations ? RPT_CONTROL_FAIL : RPT_CONTROL_PASS;
	if (t->violations)
		snprintf(k->detail, sizeof k->detail, "%zu of %" PRIu64 " CloudTrail runtime calls have no invocation-log record%s",
		         s->ct_only, t->checked, s->gaps ? "; and stretches with no invocation-log record at all" : "");
	else
		snprintf(k->detail, sizeof k->detail, "all %" PRIu64 " CloudTrail runtime calls have their invocation-log record (%zu by request id)",
		         t->checked, s->matched_request);
	return LT_OK;
}

static lt_status note_digests(ctl *k, const verify_result *v, lt_error *err)
{
	k->integrity_known = true;
	const verify_summary *s = v ? verify_get_summary(v) : NULL;
	if (s == NULL || s->digests == 0) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "no CloudTrail digest file in the case");
		return LT_OK;
	}
	tally *t = &k->t[SRC_CT];
	t->checked = s->digests + s->logfiles_listed;
	for (size_t i = 0; i < verify_nrows(v); i++) {
		const verify_row *r = verify_row_at(v, i);
		if (r->status != RPT_CHECK_INVALID)
			continue;
		char line[CONTROLS_EXAMPLE_MAX];
		snprintf(line, sizeof line, "%s %s: %s: %s", r->kind, r->object, r->check, r->detail);
		if (violation(t, r->time_us >= 0 ? r->time_us : INT64_MIN, line, err) != LT_OK)
			return err->status;
	}
	char a[LTIME_BUFSZ], b[LTIME_BUFSZ];
	ltime_format(s->first_us, 0, a);
	ltime_format(s->last_us, 0, b);
	rpt_check o = verify_overall(v);
	k->status = o == RPT_CHECK_INVALID ? RPT_CONTROL_FAIL : o == RPT_CHECK_UNVERIFIABLE ? RPT_CONTROL_NOT_EVALUABLE : RPT_CONTROL_PASS;
	snprintf(k->detail, sizeof k->detail,
	         "%zu digest(s) in %zu chain(s) over %s .. %s: %zu valid, %zu invalid, %zu unverifiable; log files: %zu valid, %zu altered, %zu missing%s",
	         s->digests, s->chains, a, b, s->digests_valid, s->digests_invalid, s->digests_unverifiable, s->logfiles_valid,
	         s->logfiles_altered, s->logfiles_missing,
	         o == RPT_CHECK_UNVERIFIABLE ? " (signatures need the trail's public keys: --public-keys)" : "");
	return LT_OK;
}

#define CONTROLS_PERIODS_NAMED 3

/* The logging-coverage control's evidence ends with the period each
 * account/region covers and its gaps (analyzers/audit/period.h). */
static void append_period(ctl *k, const report *r)
{
	size_t n = report_nperiods(r), len = strlen(k->detail);
	for (size_t i = 0; i < n && i < CONTROLS_PERIODS_NAMED && len < sizeof k->detail; i++) {
		const rpt_period *p = report_period(r, i);
		char a[LTIME_BUFSZ], b[LTIME_BUFSZ], silent[24], dark[24];
		ltime_format(p->first_us, 0, a);
		ltime_format(p->last_us, 0, b);
		snprintf(silent, sizeof silent, p->silent_hours == UINT64_MAX ? "?" : "%" PRIu64, p->silent_hours);
		snprintf(dark, sizeof dark, p->dark_days == UINT64_MAX ? "?" : "%" PRIu64, p->dark_days);
		len += (size_t)snprintf(k->detail + len, sizeof k->detail - len,
		                        "%s%.*s/%.*s covers %s .. %s: %s silent hour(s), %s dark day(s)",
		                        i ? "; " : "; period: ", (int)p->account.n, p->account.p ? p->account.p : "",
		                        (int)p->region.n, p->region.p ? p->region.p : "", a, b, silent, dark);
	}
	if (n > CONTROLS_PERIODS_NAMED && len < sizeof k->detail)
		snprintf(k->detail + len, sizeof k->detail - len, "; and %zu more account/region(s)",
		         n - CONTROLS_PERIODS_NAMED);
}

lt_status controls_note_integrity(controls *c, const verify_result *v, const reconcile_result *rr, lt_error *err)
{
	for (size_t i = 0; i < c->n; i++) {
		lt_status st = LT_OK;
		if (c->c[i].pc->kind == POLICY_LOGGING_COVERAGE)
			st = note_coverage(&c->c[i], rr, err);
		else if (c->c[i].pc->kind == POLICY_DIGEST_CHAIN)
			st = note_digests(&c->c[i], v, err);
		if (st != LT_OK)
			return st;
	}
	return LT_OK;
}

/* ---- findings and incidents ---------------------------------------------------------- */

static lt_status judge_disclosure(ctl *k, const report *r, lt_error *err)
{
	size_t ran = 0;
	for (size_t i = 0; i < report_nrules(r); i++) {
		const rpt_rule *ru = report_rule(r, i);
		ran += ru->pack.n == 10 && memcmp(ru->pack.p, "disclosure", 10) == 0 &&
		       (ru->outcome == RPT_PASSED || ru->outcome == RPT_FIRED);
	}
	tally *t = &k->t[SRC_INV];
	k->integrity_known = true;
	if (ran == 0) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "no disclosure rule ran (the disclosure pack is not loaded, or the case has no invocation-log text)");
		return LT_OK;
	}
	for (size_t i = 0; i < report_nfindings(r); i++) {
		const rpt_finding *f = report_finding(r, i);
		const rpt_rule *ru = report_rule(r, f->rule);
		if (ru->pack.n != 10 || memcmp(ru->pack.p, "disclosure", 10) != 0)
			continue;
		t->checked++;
		if (ru->level <= k->pc->level)
			continue;
		char a[LTIME_BUFSZ], line[CONTROLS_EXAMPLE_MAX];
		ltime_format(f->first_us, 0, a);
		snprintf(line, sizeof line, "%s %s (%s): %" PRIu64 " event(s), %.*s", a, ru->title.n ? ru->title.p : ru->id.p, rpt_level_name(ru->level),
		         f->count, (int)(f->group_text.n > 200 ? 200 : f->group_text.n), f->group_text.p ? f->group_text.p : "");
		if (violation(t, f->first_us, line, err) != LT_OK)
			return err->status;
	}
	k->status = t->violations ? RPT_CONTROL_FAIL : RPT_CONTROL_PASS;
	snprintf(k->detail, sizeof k->detail, "%" PRIu64 " disclosure finding(s) of %zu disclosure rule(s) run, %" PRIu64 " above %s",
	         t->checked, ran, t->violations, rpt_level_name(k->pc->level));
	return LT_OK;
}

static lt_status judge_incidents(ctl *k, const report *r, lt_error *err)
{
	tally *t = &k->t[SRC_INV];
	k->integrity_known = true;
	for (size_t i = 0; i < report_nincidents(r); i++) {
		const rpt_incident *in = report_incident(r, i);
		t->checked++;
		if (in->level <= k->pc->level)
			continue;
		char a[LTIME_BUFSZ], line[CONTROLS_EXAMPLE_MAX];
		ltime_format(in->first_us, 0, a);
		snprintf(line, sizeof line, "%s %.*s (%s, risk %.1f): %.*s", a, (int)in->id.n, in->id.p,
		         rpt_level_name(in->level), in->risk, (int)(in->title.n > 200 ? 200 : in->title.n),
		         in->title.p ? in->title.p : "");
		if (violation(t, in->first_us, line, err) != LT_OK)
			return err->status;
	}
	k->status = t->violations ? RPT_CONTROL_FAIL : RPT_CONTROL_PASS;
	snprintf(k->detail, sizeof k->detail, "%" PRIu64 " incident(s), %" PRIu64 " above %s", t->checked, t->violations,
	         rpt_level_name(k->pc->level));
	return LT_OK;
}

/* ---- budgets ------------------------------------------------------------------ */

/* Violations of the limits over a (day, who) -> tokens and -> invocations
 * pair of maps (the same keys in the same order). */
static lt_status over_budget(ctl *k, strmap *tokens, strmap *invocations, lt_error *err)
{
	tally *t = &k->t[SRC_INV];
	const policy_control *pc = k->pc;
	snprintf(k->over_tokens, sizeof k->over_tokens, " (limit %" PRId64 ")", pc->max_tokens);
	snprintf(k->over_invocations, sizeof k->over_invocations, " (limit %" PRId64 ")", pc->max_invocations);
	for (size_t i = 0; i < strmap_count(tokens); i++) {
		const char *key;
		size_t kn;
		uint64_t tok, inv;
		strmap_entry(tokens, i, &key, &kn, &tok);
		strmap_entry(invocations, i, &key, &kn, &inv);
		bool over_t = pc->max_tokens >= 0 && tok > (uint64_t)pc->max_tokens;
		bool over_i = pc->max_invocations >= 0 && inv > (uint64_t)pc->max_invocations;
		if (!over_t && !over_i)
			continue;
		char line[CONTROLS_EXAMPLE_MAX];
		snprintf(line, sizeof line, "%.*s: %" PRIu64 " tokens%s, %" PRIu64 " invocations%s", (int)(kn > 300 ? 300 : kn), key,
		         tok, over_t ? k->over_tokens : "", inv, over_i ? k->over_invocations : "");
		int64_t day_us = INT64_MIN;
		if (kn >= 10 && ltime_parse(key, 10, &day_us) != LT_OK)
			day_us = INT64_MIN;
		if (violation(t, day_us, line, err) != LT_OK)
			return err->status;
	}
	return LT_OK;
}

#define CONTROLS_UNTAGGED "(untagged)"

/* The (day, principal) sums folded into (day, tag value) sums: "YYYY-MM-DD
 * value", principals without the tag under CONTROLS_UNTAGGED. */
static lt_status fold_by_tag(ctl *k, strmap *tokens, strmap *invocations)
{
	for (size_t i = 0; i < strmap_count(k->tokens); i++) {
		const char *key, *name = CONTROLS_UNTAGGED;
		size_t kn, nn = strlen(CONTROLS_UNTAGGED);
		uint64_t tok, inv;
		strmap_entry(k->tokens, i, &key, &kn, &tok);
		strmap_entry(k->invocations, i, &key, &kn, &inv);
		const uint64_t *id = kn > 11 ? strmap_find(k->ptag, key + 11, kn - 11) : NULL;
		if (id != NULL) {
			uint64_t unused;
			strmap_entry(k->tagvals, (size_t)(*id - 1), &name, &nn, &unused);
		}
		char fk[LTIME_BUFSZ + 1100];
		int n = snprintf(fk, sizeof fk, "%.10s %s=%.*s", key, k->pc->tag, (int)(nn > 1024 ? 1024 : nn), name);
		if (n < 0 || (size_t)n >= sizeof fk)
			n = (int)sizeof fk - 1;
		bool full = false;
		uint64_t *ft = strmap_slot(tokens, fk, (size_t)n, true, &full);
		uint64_t *fi = ft ? strmap_slot(invocations, fk, (size_t)n, true, &full) : NULL;
		if (ft == NULL || fi == NULL)
			return LT_EFATAL;
		*ft += tok;
		*fi += inv;
	}
	return LT_OK;
}

static lt_status judge_budget(ctl *k, lt_error *err)
{
	tally *t = &k->t[SRC_INV];
	k->integrity_known = true;
	if (k->budget_full) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "more than %d (day, principal) pairs: the budget table is full",
		         CONTROLS_MAX_BUDGET_KEYS);
		return LT_OK;
	}
	if (t->checked == 0) {
		k->status = k->t[SRC_CT].checked ? RPT_CONTROL_NOT_EVALUABLE : RPT_CONTROL_NOT_APPLICABLE;
		snprintf(k->detail, sizeof k->detail, k->t[SRC_CT].checked
		                                          ? "no invocation-log record: token counts come only from the invocation log"
		                                          : "no invocation in the case");
		return LT_OK;
	}
	size_t n = strmap_count(k->tokens);
	if (k->pc->tag == NULL) {
		if (over_budget(k, k->tokens, k->invocations, err) != LT_OK)
			return err->status;
		k->status = t->violations ? RPT_CONTROL_FAIL : RPT_CONTROL_PASS;
		snprintf(k->detail, sizeof k->detail, "%zu principal-day(s) over %" PRIu64 " invocation-log records, %" PRIu64 " over budget", n,
		         t->checked, t->violations);
		t->checked = n;
		return LT_OK;
	}
	if (strmap_count(k->tagvals) == 0) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "no CloudTrail event shows principal tag '%.100s' "
		                                      "(userIdentity.sessionContext.principalTags) for any principal: the "
		                                      "budget per tag cannot be attributed", k->pc->tag);
		return LT_OK;
	}
	strmap *tokens = strmap_new(0), *invocations = strmap_new(0);
	lt_status st = tokens && invocations ? fold_by_tag(k, tokens, invocations) : LT_EFATAL;
	if (st != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "controls: out of memory");
	else if (over_budget(k, tokens, invocations, err) != LT_OK)
		st = err->status;
	if (st == LT_OK) {
		size_t days = strmap_count(tokens);
		k->status = t->violations ? RPT_CONTROL_FAIL : RPT_CONTROL_PASS;
		snprintf(k->detail, sizeof k->detail,
		         "%zu (day, %.60s) pair(s) over %" PRIu64 " invocation-log records; %zu principal(s) tagged in CloudTrail "
		         "(others count as " CONTROLS_UNTAGGED "); %" PRIu64 " over budget",
		         days, k->pc->tag, t->checked, strmap_count(k->ptag), t->violations);
		t->checked = days;
	}
	strmap_free(tokens);
	strmap_free(invocations);
	return st;
}

/* ---- per-event controls ------------------------------------------------------------ */

/* Which source shows what the control is about (the other is the fallback). */
static int preferred_source(policy_kind k)
{
	return k == POLICY_NO_ROOT_OR_ACCESS_KEYS ? SRC_CT : SRC_INV;
}

static const char *source_words(int src)
{
	return src == SRC_CT ? "CloudTrail runtime calls" : "invocation-log records";
}

static void judge_events(ctl *k, const controls *c, int *src_out)
{
	int src = preferred_source(k->pc->kind);
	if (c->invocations[src] == 0)
		src = 1 - src;
	*src_out = src;
	tally *t = &k->t[src];
	k->integrity_known = true;
	char a[LTIME_BUFSZ], b[LTIME_BUFSZ];
	ltime_format(c->first_us, 0, a);
	ltime_format(c->last_us, 0, b);
	if (c->invocations[src] == 0) {
		k->status = RPT_CONTROL_NOT_APPLICABLE;
		snprintf(k->detail, sizeof k->detail, "no invocation in the case");
		return;
	}
	if (t->violations > 0) {
		k->status = RPT_CONTROL_FAIL;
		snprintf(k->detail, sizeof k->detail, "%" PRIu64 " of %" PRIu64 " %s violate it (%s .. %s)", t->violations, t->checked,
		         source_words(src), a, b);
	} else if (t->unknown > 0) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "%" PRIu64 " of %" PRIu64 " %s show a guardrail without its id or version",
		         t->unknown, t->checked, source_words(src));
	} else {
		k->status = RPT_CONTROL_PASS;
		snprintf(k->detail, sizeof k->detail, "all %" PRIu64 " %s comply (%s .. %s)", t->checked, source_words(src), a, b);
	}
	if (k->pc->kind == POLICY_NO_ROOT_OR_ACCESS_KEYS && src == SRC_INV && k->status == RPT_CONTROL_PASS) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "no CloudTrail runtime call: the invocation log names no access key");
	}
}

/* ---- guardrails: both sources, each judging the calls it can see ---------------- */

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The two tallies as one (examples borrowed, earliest first; days summed). */
static void merge_tallies(const tally *a, const tally *b, tally *out, char day[16], uint64_t *dayn)
{
	memset(out, 0, sizeof *out);
	out->checked = a->checked + b->checked;
	out->violations = a->violations + b->violations;
	out->unknown = a->unknown + b->unknown;
	char *all[2 * RPT_CONTROL_EXAMPLES];
	size_t n = 0;
	for (size_t i = 0; i < a->nexamples; i++)
		all[n++] = a->examples[i];
	for (size_t i = 0; i < b->nexamples; i++)
		all[n++] = b->examples[i];
	qsort(all, n, sizeof all[0], by_text); /* lines start with their ISO time */
	out->nexamples = n < RPT_CONTROL_EXAMPLES ? n : RPT_CONTROL_EXAMPLES;
	memcpy(out->examples, all, out->nexamples * sizeof all[0]);
	day[0] = '\0';
	*dayn = 0;
	const tally *t[2] = {a, b};
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < strmap_count(t[s]->days); i++) {
			const char *k;
			size_t kn;
			uint64_t v;
			strmap_entry(t[s]->days, i, &k, &kn, &v);
			const uint64_t *o = strmap_find(t[1 - s]->days, k, kn);
			if (s == 1 && o != NULL)
				continue; /* summed from the first */
			v += o != NULL ? *o : 0;
			if (v > *dayn || (v == *dayn && kn == 10 && strncmp(k, day, 10) < 0)) {
				*dayn = v;
				snprintf(day, 16, "%.*s", (int)kn, k);
			}
		}
}

static void judge_guardrail(ctl *k, const tally *t)
{
	const char *g = k->pc->guardrail_id ? k->pc->guardrail_id : "any guardrail";
	char unseen[160] = "";
	if (k->other[SRC_CT] > k->t[SRC_INV].checked)
		snprintf(unseen, sizeof unseen, "; %" PRIu64 " Converse call(s) in CloudTrail have no invocation-log record to show their guardrail",
		         k->other[SRC_CT] - k->t[SRC_INV].checked);
	k->integrity_known = true;
	if (t->checked == 0) {
		k->status = k->other[SRC_CT] ? RPT_CONTROL_NOT_EVALUABLE : RPT_CONTROL_NOT_APPLICABLE;
		snprintf(k->detail, sizeof k->detail, k->other[SRC_CT] ? "no invocation of these principals could be checked%s"
		                                                      : "no invocation by these principals%s", unseen);
		return;
	}
	if (t->violations > 0)
		k->status = RPT_CONTROL_FAIL;
	else if (t->unknown > 0)
		k->status = RPT_CONTROL_NOT_EVALUABLE;
	else
		k->status = unseen[0] ? RPT_CONTROL_NOT_EVALUABLE : RPT_CONTROL_PASS;
	snprintf(k->detail, sizeof k->detail,
	         "%" PRIu64 " invocation(s) checked (%" PRIu64 " InvokeModel calls in CloudTrail, %" PRIu64 " Converse records in the invocation log): %" PRIu64 " without %s%s%s",
	         t->checked, k->t[SRC_CT].checked, k->t[SRC_INV].checked, t->violations, g,
	         t->unknown ? ", some show a guardrail without its id or version" : "", unseen);
}

/* ---- text delivery: the configuration (CloudTrail) and the records ----------------- */

static void judge_text_delivery(ctl *k, const tally *both)
{
	const tally *ct = &k->t[SRC_CT], *inv = &k->t[SRC_INV];
	char latest[96] = "";
	if (k->td_latest >= 0)
		snprintf(latest, sizeof latest, "; the latest configuration (%s) has it %s", k->td_latest_at,
		         k->td_latest ? "on" : "off");
	if (ct->checked == 0 && inv->checked == 0) {
		k->status = RPT_CONTROL_NOT_EVALUABLE;
		snprintf(k->detail, sizeof k->detail, "no logging configuration call (Put/GetModelInvocationLoggingConfiguration) "
		                                      "in CloudTrail and no invocation-log record");
		return;
	}
	k->status = both->violations ? RPT_CONTROL_FAIL : RPT_CONTROL_PASS;
	snprintf(k->detail, sizeof k->detail,
	         "%" PRIu64 " of %" PRIu64 " logging configuration call(s) in CloudTrail turn text delivery off; %" PRIu64
	         " of %" PRIu64 " invocation-log records without their prompt and answer%s",
	         ct->violations, ct->checked, inv->violations, inv->checked, latest);
}

/* ---- report ------------------------------------------------------------------------ */

static lt_status judge(ctl *k, controls *c, const report *r, int *src, lt_error *err)
{
	*src = SRC_CT;
	switch (k->pc->kind) {
	case POLICY_BUDGET:
		*src = SRC_INV;
		return judge_budget(k, err);
	case POLICY_MAX_DISCLOSURE:
		*src = SRC_INV;
		return judge_disclosure(k, r, err);
	case POLICY_MAX_INCIDENT:
		*src = SRC_INV;
		return judge_incidents(k, r, err);
	case POLICY_GUARDRAIL_REQUIRED:
	case POLICY_TEXT_DELIVERY:
		return LT_OK; /* over both sources: judge_guardrail, judge_text_delivery */
	case POLICY_LOGGING_COVERAGE:
		append_period(k, r);
		/* fall through */
	case POLICY_DIGEST_CHAIN:
		if (!k->integrity_known) {
			k->status = RPT_CONTROL_NOT_EVALUABLE;
			snprintf(k->detail, sizeof k->detail, "the integrity checks did not run");
		}
		return LT_OK;
	default:
		judge_events(k, c, src);
		return LT_OK;
	}
}

/* A pass over evidence that was not all read proves nothing about the rest:
 * it becomes not evaluable (a violation found stays a violation). */
static void qualify_pass(ctl *k, size_t problems)
{
	if (k->status != RPT_CONTROL_PASS || problems == 0)
		return;
	k->status = RPT_CONTROL_NOT_EVALUABLE;
	size_t n = strlen(k->detail);
	snprintf(k->detail + n, sizeof k->detail - n, "; but %zu evidence problem%s: what was not read was not checked",
	         problems, problems == 1 ? "" : "s");
}

lt_status controls_add_to_report(controls *c, report *r, lt_error *err)
{
	for (size_t i = 0; i < c->n; i++) {
		ctl *k = &c->c[i];
		int src;
		lt_status st = judge(k, c, r, &src, err);
		if (st != LT_OK)
			return st;
		if (k->pc->kind != POLICY_GUARDRAIL_REQUIRED && k->pc->kind != POLICY_TEXT_DELIVERY)
			qualify_pass(k, report_nproblems_serious(r));
		const tally *t = &k->t[src];
		char day[16];
		uint64_t dayn;
		tally both;
		if (k->pc->kind == POLICY_GUARDRAIL_REQUIRED || k->pc->kind == POLICY_TEXT_DELIVERY) {
			merge_tallies(&k->t[SRC_CT], &k->t[SRC_INV], &both, day, &dayn);
			if (k->pc->kind == POLICY_GUARDRAIL_REQUIRED)
				judge_guardrail(k, &both);
			else
				judge_text_delivery(k, &both);
			qualify_pass(k, report_nproblems_serious(r));
			t = &both;
		} else
			worst_day(t, day, &dayn);
		rpt_str ex[RPT_CONTROL_EXAMPLES];
		for (size_t j = 0; j < t->nexamples; j++)
			ex[j] = rpt_s(t->examples[j]);
		rpt_control rc = {
			.id = rpt_s(k->pc->id),
			.title = rpt_s(k->pc->title),
			.rationale = rpt_s(k->pc->rationale),
			.kind = rpt_s(policy_kind_name(k->pc->kind)),
			.status = k->status,
			.detail = rpt_s(k->detail),
			.mappings = k->pc->mappings,
			.nmappings = k->pc->nmappings,
			.checked = t->checked,
			.violations = t->violations,
			.worst_day = rpt_s(day),
			.worst_day_violations = dayn,
			.examples = {ex, t->nexamples},
		};
		if ((st = report_add_control(r, &rc, err)) != LT_OK)
			return st;
	}
	return LT_OK;
}

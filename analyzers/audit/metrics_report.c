/*
 * metrics_report.c — the usage dashboard, anomaly findings and `stats`
 * output (see metrics_report.h).
 *
 * Numbers are formatted without the locale ("%llu", "%.0f"), so outputs are
 * deterministic. Charts take at most MREPORT_MAX_X points (the latest), and
 * the per-day charts (stacked bars) at most MREPORT_TOP_MODELS series (by
 * invocations, ties by name) plus "(other)"; the token scatter at most
 * MREPORT_SCATTER_POINTS principals (by tokens). Every table beside a chart holds the same
 * numbers, so the report is readable printed and without SVG.
 */
#include "config.h"
#include "common/sort.h"

#include "analyzers/audit/metrics_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/audit/builtin_rules.h"
#include "common/ltime.h"
#include "common/textesc.h"
#include "ingest/json.h"
#include "store/case.h"

#define MREPORT_SCATTER_POINTS 500 /* principals in the token scatter (most tokens first) */

/* ---- small helpers --------------------------------------------------------- */

static void u64s(uint64_t v, char out[32])
{
	snprintf(out, 32, "%llu", (unsigned long long)v);
}

static void pct(double v, bool exact, char out[32])
{
	if (isnan(v))
		snprintf(out, 32, "-");
	else
		snprintf(out, 32, "%s%.0f", exact ? "" : "~", v);
}

static void maxs(int64_t v, char out[32])
{
	if (v < 0)
		snprintf(out, 32, "-");
	else
		snprintf(out, 32, "%lld", (long long)v);
}

static void ratio(uint64_t a, uint64_t b, char out[32])
{
	if (b == 0)
		snprintf(out, 32, "-");
	else
		snprintf(out, 32, "%.1f%%", 100.0 * (double)a / (double)b);
}

/* ---- report: tables and charts --------------------------------------------- */

static const char *const agg_cols[] = {"invocations", "input tokens", "output tokens", "latency p50 ms",
                                       "latency p90 ms", "latency p99 ms", "latency max ms", "client errors",
                                       "server errors", "throttles", "guardrail interventions",
                                       "CloudTrail Bedrock calls", "CloudTrail errors"};
#define NAGG (sizeof agg_cols / sizeof agg_cols[0])

static void agg_cells(const metrics_agg *a, char v[NAGG][32])
{
	u64s(a->invocations, v[0]);
	u64s(a->input_tokens, v[1]);
	u64s(a->output_tokens, v[2]);
	pct(a->latency_p50, a->latency_exact, v[3]);
	pct(a->latency_p90, a->latency_exact, v[4]);
	pct(a->latency_p99, a->latency_exact, v[5]);
	maxs(a->latency_max, v[6]);
	u64s(a->client_errors, v[7]);
	u64s(a->server_errors, v[8]);
	u64s(a->throttles, v[9]);
	u64s(a->guardrail_interventions, v[10]);
	u64s(a->ct_calls, v[11]);
	u64s(a->ct_errors, v[12]);
}

static lt_status view_table(const metrics *m, report *r, metrics_view view, const char *title, const char *keycol,
                            lt_error *err)
{
	const char *cols[1 + NAGG];
	cols[0] = keycol;
	for (size_t i = 0; i < NAGG; i++)
		cols[1 + i] = agg_cols[i];
	size_t t;
	lt_status st = report_add_table(r, title, 1 + NAGG, cols, &t, err);
	for (size_t i = 0; st == LT_OK && i < metrics_view_nrows(m, view); i++) {
		const metrics_row *row = metrics_view_row(m, view, i);
		char v[NAGG][32];
		agg_cells(&row->agg, v);
		rpt_str cells[1 + NAGG];
		cells[0] = rpt_s(row->key[0]);
		for (size_t k = 0; k < NAGG; k++)
			cells[1 + k] = rpt_s(v[k]);
		st = report_table_add_row(r, t, cells, err);
	}
	return st;
}

static lt_status latency_chart(const metrics *m, report *r, lt_error *err)
{
	size_t n = metrics_view_nrows(m, METRICS_VIEW_MODEL), nx = 0;
	const char **labels = calloc(n ? n : 1, sizeof *labels);
	double *p[3];
	for (int k = 0; k < 3; k++)
		p[k] = calloc(n ? n : 1, sizeof **p);
	lt_status st = labels && p[0] && p[1] && p[2] ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
	for (size_t i = 0; st == LT_OK && i < n && nx < MREPORT_MAX_X; i++) {
		const metrics_row *row = metrics_view_row(m, METRICS_VIEW_MODEL, i);
		if (row->agg.latency_n == 0)
			continue;
		labels[nx] = row->key[0];
		p[0][nx] = row->agg.latency_p50;
		p[1][nx] = row->agg.latency_p90;
		p[2][nx] = row->agg.latency_p99;
		nx++;
	}
	size_t c;
	if (st == LT_OK && nx > 0) {
		st = report_add_chart(r, "Invocation latency percentiles by model", RPT_CHART_BAR, "ms", nx, labels, &c,
		                      err);
		static const char *const names[3] = {"p50", "p90", "p99"};
		for (int k = 0; k < 3 && st == LT_OK; k++)
			st = report_chart_add_series(r, c, names[k], p[k], err);
	}
	free(labels);
	for (int k = 0; k < 3; k++)
		free(p[k]);
	return st;
}

/* distinct values of key[0] in a view (sorted, as the view is) */
static size_t distinct_days(const metrics *m, const char **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < metrics_view_nrows(m, METRICS_VIEW_DAY); i++) {
		if (n == cap) {
			memmove(out, out + 1, (cap - 1) * sizeof *out);
			n--;
		}
		out[n++] = metrics_view_row(m, METRICS_VIEW_DAY, i)->key[0];
	}
	return n;
}

typedef struct top_model {
	const char *name;
	uint64_t inv;
} top_model;

static int cmp_top(const void *a, const void *b)
{
	const top_model *x = a, *y = b;
	if (x->inv != y->inv)
		return x->inv > y->inv ? -1 : 1;
	return strcmp(x->name, y->name);
}

static lt_status per_day_charts(const metrics *m, report *r, lt_error *err)
{
	const char *days[MREPORT_MAX_X];
	size_t nd = distinct_days(m, days, MREPORT_MAX_X);
	size_t nm = metrics_view_nrows(m, METRICS_VIEW_MODEL);
	if (nd == 0 || nm == 0)
		return LT_OK;
	top_model *tm = calloc(nm, sizeof *tm);
	if (tm == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	for (size_t i = 0; i < nm; i++) {
		const metrics_row *row = metrics_view_row(m, METRICS_VIEW_MODEL, i);
		tm[i].name = row->key[0];
		tm[i].inv = row->agg.invocations + row->agg.ct_runtime;
	}
	lt_sort(tm, nm, sizeof *tm, cmp_top);
	size_t ns = nm > MREPORT_TOP_MODELS ? MREPORT_TOP_MODELS + 1 : nm;
	double *inv = calloc(ns * nd, sizeof *inv), *tok = calloc(ns * nd, sizeof *tok);
	lt_status st = inv && tok ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
	for (size_t i = 0; st == LT_OK && i < metrics_view_nrows(m, METRICS_VIEW_DAY_MODEL); i++) {
		const metrics_row *row = metrics_view_row(m, METRICS_VIEW_DAY_MODEL, i);
		size_t d = 0, s = ns - 1;
		while (d < nd && strcmp(days[d], row->key[0]) != 0)
			d++;
		if (d == nd)
			continue;
		for (size_t k = 0; k < ns && k < MREPORT_TOP_MODELS; k++)
			if (strcmp(tm[k].name, row->key[1]) == 0)
				s = k;
		inv[s * nd + d] += (double)row->agg.invocations;
		tok[s * nd + d] += (double)(row->agg.input_tokens + row->agg.output_tokens);
	}
	size_t c1, c2;
	if (st == LT_OK)
		st = report_add_chart(r, "Invocations per day by model (invocation logs)", RPT_CHART_STACKED,
		                      "invocations", nd, days, &c1, err);
	if (st == LT_OK)
		st = report_add_chart(r, "Tokens per day by model (input + output)", RPT_CHART_STACKED,
		                      "tokens", nd, days, &c2, err);
	for (size_t s = 0; s < ns && st == LT_OK; s++) {
		const char *name = s < MREPORT_TOP_MODELS && s < nm ? tm[s].name : "(other)";
		st = report_chart_add_series(r, c1, name, inv + s * nd, err);
		if (st == LT_OK)
			st = report_chart_add_series(r, c2, name, tok + s * nd, err);
	}
	free(inv);
	free(tok);
	free(tm);
	if (st != LT_OK)
		return st;
	static const char *const cols[] = {"day", "model", "invocations", "input tokens", "output tokens",
	                                   "CloudTrail runtime calls"};
	size_t t;
	st = report_add_table(r, "Invocations and tokens per day by model", 6, cols, &t, err);
	for (size_t i = 0; st == LT_OK && i < metrics_view_nrows(m, METRICS_VIEW_DAY_MODEL); i++) {
		const metrics_row *row = metrics_view_row(m, METRICS_VIEW_DAY_MODEL, i);
		char a[32], b[32], c[32], d[32];
		u64s(row->agg.invocations, a);
		u64s(row->agg.input_tokens, b);
		u64s(row->agg.output_tokens, c);
		u64s(row->agg.ct_runtime, d);
		rpt_str cells[6] = {rpt_s(row->key[0]), rpt_s(row->key[1]), rpt_s(a), rpt_s(b), rpt_s(c), rpt_s(d)};
		st = report_table_add_row(r, t, cells, err);
	}
	return st;
}

static size_t last_bucket(const metrics *m)
{
	size_t n = 0;
	for (size_t i = 0; i < METRICS_TOKEN_BUCKETS; i++)
		if (metrics_token_bucket(m, i))
			n = i + 1;
	return n;
}

static lt_status token_histogram(const metrics *m, report *r, lt_error *err)
{
	size_t n = last_bucket(m);
	if (n == 0)
		return LT_OK;
	char labels[METRICS_TOKEN_BUCKETS][32];
	const char *lp[METRICS_TOKEN_BUCKETS];
	double v[METRICS_TOKEN_BUCKETS];
	for (size_t i = 0; i < n; i++) {
		metrics_token_bucket_label(i, labels[i]);
		lp[i] = labels[i];
		v[i] = (double)metrics_token_bucket(m, i);
	}
	size_t c, t;
	lt_status st = report_add_chart(r, "Requests by input-token size (log2 buckets)", RPT_CHART_BAR, "requests", n,
	                                lp, &c, err);
	if (st == LT_OK)
		st = report_chart_add_series(r, c, "requests", v, err);
	static const char *const cols[] = {"input tokens", "requests"};
	if (st == LT_OK)
		st = report_add_table(r, "Requests by input-token size", 2, cols, &t, err);
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		char num[32];
		u64s(metrics_token_bucket(m, i), num);
		rpt_str cells[2] = {rpt_s(labels[i]), rpt_s(num)};
		st = report_table_add_row(r, t, cells, err);
	}
	return st;
}

typedef struct prow {
	const metrics_row *row;
	uint64_t tokens;
} prow;

static int cmp_prow(const void *a, const void *b)
{
	const prow *x = a, *y = b;
	if (x->tokens != y->tokens)
		return x->tokens > y->tokens ? -1 : 1;
	return strcmp(x->row->key[0], y->row->key[0]);
}

static const char *short_name(const char *arn)
{
	const char *s = strrchr(arn, '/');
	if (s == NULL)
		s = strrchr(arn, ':');
	return s && s[1] ? s + 1 : arn;
}

static lt_status principal_tokens(const metrics *m, report *r, lt_error *err)
{
	size_t n = metrics_view_nrows(m, METRICS_VIEW_PRINCIPAL);
	if (n == 0)
		return LT_OK;
	prow *p = calloc(n, sizeof *p);
	if (p == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const metrics_row *row = metrics_view_row(m, METRICS_VIEW_PRINCIPAL, i);
		if (row->agg.invocations == 0)
			continue;
		p[k].row = row;
		p[k++].tokens = row->agg.input_tokens + row->agg.output_tokens;
	}
	lt_sort(p, k, sizeof *p, cmp_prow);
	static const char *const cols[] = {"principal", "invocations", "input tokens", "output tokens",
	                                   "output/input"};
	size_t t;
	lt_status st = report_add_table(
		r, "Input vs output tokens per principal", 5, cols, &t, err);
	for (size_t i = 0; i < k && st == LT_OK; i++) {
		char a[32], b[32], c[32], d[32];
		u64s(p[i].row->agg.invocations, a);
		u64s(p[i].row->agg.input_tokens, b);
		u64s(p[i].row->agg.output_tokens, c);
		if (p[i].row->agg.input_tokens)
			snprintf(d, sizeof d, "%.2f",
			         (double)p[i].row->agg.output_tokens / (double)p[i].row->agg.input_tokens);
		else
			snprintf(d, sizeof d, "-");
		rpt_str cells[5] = {rpt_s(p[i].row->key[0]), rpt_s(a), rpt_s(b), rpt_s(c), rpt_s(d)};
		st = report_table_add_row(r, t, cells, err);
	}
	/* one point per principal, the biggest consumers first (they get the
	 * visible names); the table above has every principal */
	size_t nx = k < MREPORT_SCATTER_POINTS ? k : MREPORT_SCATTER_POINTS;
	const char **labels = nx ? calloc(nx, sizeof *labels) : NULL;
	double *in = nx ? calloc(nx, sizeof *in) : NULL, *out = nx ? calloc(nx, sizeof *out) : NULL;
	if (st == LT_OK && nx > 0 && (labels == NULL || in == NULL || out == NULL))
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	if (st == LT_OK && nx > 0) {
		for (size_t i = 0; i < nx; i++) {
			labels[i] = short_name(p[i].row->key[0]);
			in[i] = (double)p[i].row->agg.input_tokens;
			out[i] = (double)p[i].row->agg.output_tokens;
		}
		char title[96];
		snprintf(title, sizeof title, "Input vs output tokens per principal%s",
		         k > nx ? " (the " LT_STR(MREPORT_SCATTER_POINTS) " with most tokens)" : "");
		size_t c;
		st = report_add_chart(r, title, RPT_CHART_SCATTER, "tokens", nx, labels, &c, err);
		if (st == LT_OK)
			st = report_chart_add_series(r, c, "input tokens", in, err);
		if (st == LT_OK)
			st = report_chart_add_series(r, c, "output tokens", out, err);
	}
	free(labels);
	free(in);
	free(out);
	free(p);
	return st;
}

static lt_status errors_over_time(const metrics *m, report *r, lt_error *err)
{
	int64_t a = metrics_first_us(m), b = metrics_last_us(m);
	if (a == INT64_MIN)
		return LT_OK;
	metrics_view v = b - a <= 72 * LTIME_HOUR_US ? METRICS_VIEW_HOUR : METRICS_VIEW_DAY;
	size_t n = metrics_view_nrows(m, v), lo = n > MREPORT_MAX_X ? n - MREPORT_MAX_X : 0, nx = n - lo;
	if (nx == 0)
		return LT_OK;
	const char **labels = calloc(nx, sizeof *labels);
	double *s[4];
	for (int k = 0; k < 4; k++)
		s[k] = calloc(nx, sizeof **s);
	lt_status st = labels && s[0] && s[1] && s[2] && s[3] ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
	static const char *const cols[] = {"time", "invocations", "client errors", "server errors", "throttles",
	                                   "CloudTrail Bedrock calls", "CloudTrail errors", "CloudTrail throttles"};
	size_t t = 0, c;
	if (st == LT_OK)
		st = report_add_table(r, v == METRICS_VIEW_HOUR ? "Errors and throttles per hour" : "Errors and throttles per day",
		                      8, cols, &t, err);
	for (size_t i = 0; st == LT_OK && i < nx; i++) {
		const metrics_row *row = metrics_view_row(m, v, lo + i);
		labels[i] = row->key[0];
		s[0][i] = (double)row->agg.client_errors;
		s[1][i] = (double)row->agg.server_errors;
		s[2][i] = (double)(row->agg.throttles + row->agg.ct_throttles);
		s[3][i] = (double)(row->agg.ct_errors - row->agg.ct_throttles);
		char x[7][32];
		u64s(row->agg.invocations, x[0]);
		u64s(row->agg.client_errors, x[1]);
		u64s(row->agg.server_errors, x[2]);
		u64s(row->agg.throttles, x[3]);
		u64s(row->agg.ct_calls, x[4]);
		u64s(row->agg.ct_errors, x[5]);
		u64s(row->agg.ct_throttles, x[6]);
		rpt_str cells[8] = {rpt_s(row->key[0]), rpt_s(x[0]), rpt_s(x[1]), rpt_s(x[2]),
		                    rpt_s(x[3]),        rpt_s(x[4]), rpt_s(x[5]), rpt_s(x[6])};
		st = report_table_add_row(r, t, cells, err);
	}
	if (st == LT_OK)
		st = report_add_chart(r, "Errors and throttles over time (errors: invocation logs; throttles: both sources)", RPT_CHART_LINE, "events", nx, labels, &c, err);
	/* client/server errors from invocation logs; throttles from both sources;
	 * CloudTrail errors = Bedrock calls with an errorCode other than a throttle */
	static const char *const names[4] = {"client errors", "server errors", "throttles", "CloudTrail errors"};
	for (int k = 0; k < 4 && st == LT_OK; k++)
		st = report_chart_add_series(r, c, names[k], s[k], err);
	free(labels);
	for (int k = 0; k < 4; k++)
		free(s[k]);
	return st;
}

static lt_status count_table(report *r, const char *title, const char *c0, const char *c1, const char *c2,
                             const char *c3, size_t n, const metrics_count *(*at)(const metrics *, size_t),
                             const metrics *m, bool rate, lt_error *err)
{
	if (n == 0)
		return LT_OK;
	const char *cols[5] = {c0, c1, c2, c3, "error rate"};
	size_t nc = rate ? 5 : c3 ? 4 : 3, t;
	lt_status st = report_add_table(r, title, nc, cols, &t, err);
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		const metrics_count *x = at(m, i);
		char a[32], b[32], e[32];
		u64s(x->count, a);
		u64s(x->errors, b);
		ratio(x->errors, x->count, e);
		rpt_str cells[5] = {rpt_s(x->name), rpt_s(x->detail), rpt_s(a), rpt_s(b), rpt_s(e)};
		st = report_table_add_row(r, t, cells, err);
	}
	return st;
}

/* ---- report: anomalies --------------------------------------------------------- */

static const builtin_rule anomaly_rules[METRICS_A_COUNT] = {
	[METRICS_A_INVOCATIONS] = {"llmtrail-anomaly-invocations", "Unusual hourly invocation count", RPT_LEVEL_MEDIUM,
	                           "A principal or model made far more invocations in an hour than its own trailing "
	                           "baseline (median/MAD over 7 days; docs/metrics.md).",
	                           "attack.impact"},
	[METRICS_A_TOKENS] = {"llmtrail-anomaly-tokens", "Unusual hourly token volume", RPT_LEVEL_MEDIUM,
	                      "A principal or model used far more tokens in an hour than its own trailing baseline.",
	                      "attack.impact"},
	[METRICS_A_ERROR_RATE] = {"llmtrail-anomaly-error-rate", "Unusual error rate", RPT_LEVEL_LOW,
	                          "An hour's error rate is far above the series' baseline (probing, broken access).",
	                          "attack.discovery"},
	[METRICS_A_THROTTLE_RATE] = {"llmtrail-anomaly-throttle-rate", "Unusual throttle rate", RPT_LEVEL_LOW,
	                             "An hour's throttle rate is far above the series' baseline (quota exhaustion).",
	                             "attack.impact"},
	[METRICS_A_NEW_PRINCIPAL] = {"llmtrail-first-seen-principal", "Principal first seen after the case's first days",
	                             RPT_LEVEL_MEDIUM, "A principal appears for the first time after the baseline days.",
	                             "attack.initial-access"},
	[METRICS_A_NEW_MODEL] = {"llmtrail-first-seen-model", "Model first used after the case's first days",
	                         RPT_LEVEL_LOW, "A model appears for the first time after the baseline days.",
	                         "attack.impact"},
	[METRICS_A_NEW_SOURCE_IP] = {"llmtrail-first-seen-source-ip", "Source IP first seen after the case's first days",
	                             RPT_LEVEL_LOW, "A source IP address appears for the first time after the baseline days.",
	                             "attack.initial-access"},
	[METRICS_A_NEW_USER_AGENT] = {"llmtrail-first-seen-user-agent",
	                              "User agent first seen after the case's first days", RPT_LEVEL_LOW,
	                              "A user agent appears for the first time after the baseline days.",
	                              "attack.initial-access"},
};

static const builtin_rule short_baseline_rule = {
    "llmtrail-baseline-too-short", "Baseline too short for first-seen judgements", RPT_LEVEL_INFORMATIONAL,
    "The case spans less than the minimum history needed to tell a new principal, model, source IP or user "
    "agent from one that is merely rare, so no first-seen finding was made (docs/metrics.md).",
    NULL, false};

/* An info finding saying that first-seen checks did not run, and why. */
static lt_status short_baseline_note(const metrics *m, report *r, lt_error *err)
{
	if (!metrics_first_seen_short(m))
		return LT_OK;
	size_t idx;
	lt_status st = builtin_add_rule(r, &short_baseline_rule, &idx, err);
	if (st != LT_OK)
		return st;
	char detail[256];
	double days = (double)(metrics_last_us(m) - metrics_first_us(m)) / 86400e6;
	snprintf(detail, sizeof detail,
	         "the case spans %.2f days; first-seen checks need at least %d days of history, so nothing was "
	         "judged new",
	         days, METRICS_FIRST_SEEN_MIN_DAYS);
	builtin_hit h;
	memset(&h, 0, sizeof h);
	h.source = "metrics";
	h.uid = "baseline:too-short";
	h.time_us = metrics_first_us(m);
	h.detail_field = "metrics";
	h.detail = detail;
	return builtin_add_hit(r, idx, &h, err);
}

static const char *anomaly_name(metrics_anomaly_kind k)
{
	static const char *const n[METRICS_A_COUNT] = {"invocations", "tokens",       "error-rate",   "throttle-rate",
	                                               "new-principal", "new-model", "new-source-ip", "new-user-agent"};
	return (unsigned)k < METRICS_A_COUNT ? n[k] : "?";
}

static void anomaly_detail(const metrics_anomaly *a, char *out, size_t n)
{
	char t[LTIME_BUFSZ];
	ltime_format(a->hour_us, 0, t);
	if (a->kind == METRICS_A_INVOCATIONS || a->kind == METRICS_A_TOKENS)
		snprintf(out, n, "%s %s: %.0f %s in the hour from %s; baseline median %.1f, MAD %.1f, robust z %.1f",
		         a->series, a->name, a->value, a->kind == METRICS_A_TOKENS ? "tokens" : "invocations", t,
		         a->median, a->mad, a->score);
	else if (a->kind == METRICS_A_ERROR_RATE || a->kind == METRICS_A_THROTTLE_RATE)
		snprintf(out, n, "%s %s: %s rate %.0f%% in the hour from %s; baseline median %.0f%%", a->series, a->name,
		         a->kind == METRICS_A_ERROR_RATE ? "error" : "throttle", 100 * a->value, t, 100 * a->median);
	else
		snprintf(out, n, "%s first seen at %s (by %s)", a->name, t, a->principal && a->principal[0] ? a->principal : "-");
}

static lt_status anomalies(const metrics *m, report *r, lt_error *err)
{
	size_t idx[METRICS_A_COUNT];
	lt_status st = LT_OK;
	for (int k = 0; k < METRICS_A_COUNT && st == LT_OK; k++)
		st = builtin_add_rule(r, &anomaly_rules[k], &idx[k], err);
	static const char *const cols[] = {"time", "kind", "series", "name", "detail"};
	size_t t = 0;
	if (st == LT_OK && metrics_nanomalies(m) > 0)
		st = report_add_table(r, "Usage anomalies and first appearances", 5, cols, &t, err);
	for (size_t i = 0; i < metrics_nanomalies(m) && st == LT_OK; i++) {
		const metrics_anomaly *a = metrics_anomaly_at(m, i);
		char tm[LTIME_BUFSZ], detail[768], uid[600];
		ltime_format(a->hour_us, 0, tm);
		anomaly_detail(a, detail, sizeof detail);
		rpt_str cells[5] = {rpt_s(tm), rpt_s(anomaly_name(a->kind)), rpt_s(a->series), rpt_s(a->name),
		                    rpt_s(detail)};
		st = report_table_add_row(r, t, cells, err);
		if (st != LT_OK)
			break;
		builtin_hit h;
		memset(&h, 0, sizeof h);
		bool first_seen = a->kind >= METRICS_A_NEW_PRINCIPAL;
		snprintf(uid, sizeof uid, "anomaly:%s:%s:%s:%s", anomaly_name(a->kind), a->series, a->name, tm);
		h.source = first_seen && a->source && a->source[0] ? a->source : "metrics";
		h.uid = first_seen && a->uid && a->uid[0] ? a->uid : uid;
		h.group_name = first_seen ? anomaly_name(a->kind) : a->series;
		h.group_value = a->name;
		h.time_us = a->hour_us;
		h.principal = a->principal;
		h.detail_field = "metrics";
		h.detail = detail;
		st = builtin_add_hit(r, idx[a->kind], &h, err);
	}
	return st;
}

lt_status metrics_add_to_report(const metrics *m, report *r, lt_error *err)
{
	lt_status st = view_table(m, r, METRICS_VIEW_MODEL, "Usage by model", "model", err);
	if (st == LT_OK)
		st = latency_chart(m, r, err);
	if (st == LT_OK)
		st = per_day_charts(m, r, err);
	if (st == LT_OK)
		st = token_histogram(m, r, err);
	if (st == LT_OK)
		st = principal_tokens(m, r, err);
	if (st == LT_OK)
		st = errors_over_time(m, r, err);
	if (st == LT_OK)
		st = count_table(r, "Errors by code (invocation logs / CloudTrail Bedrock calls)", "error code", "class",
		                 "invocation logs", "CloudTrail", metrics_nerror_codes(m), metrics_error_code, m, false,
		                 err);
	if (st == LT_OK)
		st = count_table(r, "Guardrail interventions by policy type", "policy", "", "interventions", NULL,
		                 metrics_nguardrail(m), metrics_guardrail, m, false, err);
	if (st == LT_OK)
		st = count_table(r, "Bedrock API calls in CloudTrail by action", "action", "category", "calls", "errors",
		                 metrics_nactions(m), metrics_action, m, true, err);
	if (st == LT_OK && metrics_nresources(m) > 0)
		st = count_table(r, "Bedrock agents, knowledge bases, flows and guardrails called (CloudTrail data events)",
		                 "resource", "type", "calls", "errors", metrics_nresources(m), metrics_resource, m, true, err);
	if (st == LT_OK && metrics_ncredentials(m) > 0)
		st = count_table(r, "Calls made with a Bedrock API key (bearer token)", "credential", "kind", "calls",
		                 "errors", metrics_ncredentials(m), metrics_credential, m, true, err);
	if (st == LT_OK)
		st = view_table(m, r, METRICS_VIEW_REGION, "Usage by account/region", "account/region", err);
	if (st == LT_OK)
		st = anomalies(m, r, err);
	if (st == LT_OK)
		st = short_baseline_note(m, r, err);
	return st;
}

/* ---- stats output ------------------------------------------------------------------ */

static lt_status csv_cell(buf *b, const char *s)
{
	return lt_csv_cell(b, s, strlen(s), 0);
}

static const char *const json_agg_names[] = {"invocations", "input_tokens", "output_tokens", "latency_p50_ms",
                                             "latency_p90_ms", "latency_p99_ms", "latency_max_ms",
                                             "client_errors", "server_errors", "throttles",
                                             "guardrail_interventions", "ct_bedrock_calls", "ct_errors"};

static lt_status json_num(buf *b, double v)
{
	if (isnan(v) || isinf(v))
		return buf_puts(b, "null");
	return buf_printf(b, "%.0f", v);
}

static lt_status json_agg(buf *b, const metrics_agg *a)
{
	double v[NAGG] = {(double)a->invocations,
	                  (double)a->input_tokens,
	                  (double)a->output_tokens,
	                  a->latency_p50,
	                  a->latency_p90,
	                  a->latency_p99,
	                  a->latency_max < 0 ? (double)NAN : (double)a->latency_max,
	                  (double)a->client_errors,
	                  (double)a->server_errors,
	                  (double)a->throttles,
	                  (double)a->guardrail_interventions,
	                  (double)a->ct_calls,
	                  (double)a->ct_errors};
	lt_status st = LT_OK;
	for (size_t i = 0; i < NAGG && st == LT_OK; i++) {
		st = buf_printf(b, "%s\"%s\":", i ? "," : "", json_agg_names[i]);
		if (st == LT_OK)
			st = json_num(b, v[i]);
	}
	if (st == LT_OK)
		st = buf_printf(b,
		                ",\"latency_count\":%llu,\"latency_exact\":%s,\"ct_throttles\":%llu,\"ct_runtime\":%llu,"
		                "\"ct_agent\":%llu,\"ct_knowledge_base\":%llu,\"ct_flow\":%llu",
		                (unsigned long long)a->latency_n, a->latency_exact || a->latency_n == 0 ? "true" : "false",
		                (unsigned long long)a->ct_throttles, (unsigned long long)a->ct_runtime,
		                (unsigned long long)a->ct_agent, (unsigned long long)a->ct_kb,
		                (unsigned long long)a->ct_flow);
	return st;
}

static lt_status jstr(buf *b, const char *s)
{
	return json_write_string(b, s ? s : "", s ? strlen(s) : 0);
}

static lt_status json_counts(buf *b, const char *name, size_t n, const metrics_count *(*at)(const metrics *, size_t),
                             const metrics *m, const char *k1, const char *k2, const char *k3)
{
	lt_status st = buf_printf(b, ",\"%s\":[", name);
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		const metrics_count *x = at(m, i);
		st = buf_printf(b, "%s{\"%s\":", i ? "," : "", k1);
		if (st == LT_OK)
			st = jstr(b, x->name);
		if (st == LT_OK && k2)
			st = buf_printf(b, ",\"%s\":", k2);
		if (st == LT_OK && k2)
			st = jstr(b, x->detail);
		if (st == LT_OK)
			st = buf_printf(b, ",\"count\":%llu", (unsigned long long)x->count);
		if (st == LT_OK && k3)
			st = buf_printf(b, ",\"%s\":%llu", k3, (unsigned long long)x->errors);
		if (st == LT_OK)
			st = buf_putc(b, '}');
	}
	return st == LT_OK ? buf_putc(b, ']') : st;
}

static lt_status write_json(const metrics *m, const char *const *dims, size_t nby, buf *b)
{
	lt_status st = buf_puts(b, "{\"by\":[");
	char t1[LTIME_BUFSZ] = "", t2[LTIME_BUFSZ] = "";
	if (metrics_first_us(m) != INT64_MIN) {
		ltime_format(metrics_first_us(m), 0, t1);
		ltime_format(metrics_last_us(m), 0, t2);
	}
	for (size_t i = 0; i < nby && st == LT_OK; i++)
		st = buf_printf(b, "%s\"%s\"", i ? "," : "", dims[i]);
	if (st == LT_OK)
		st = buf_printf(b, "],\"from\":%s%s%s,\"until\":%s%s%s,\"rows\":[", t1[0] ? "\"" : "", t1[0] ? t1 : "null",
		                t1[0] ? "\"" : "", t2[0] ? "\"" : "", t2[0] ? t2 : "null", t2[0] ? "\"" : "");
	for (size_t i = 0; i < metrics_nrows(m) && st == LT_OK; i++) {
		const metrics_row *r = metrics_row_at(m, i);
		st = buf_puts(b, i ? ",\n{\"key\":[" : "\n{\"key\":[");
		for (size_t k = 0; k < nby && st == LT_OK; k++) {
			if (k)
				st = buf_putc(b, ',');
			if (st == LT_OK)
				st = jstr(b, r->key[k]);
		}
		if (st == LT_OK)
			st = buf_puts(b, "],");
		if (st == LT_OK)
			st = json_agg(b, &r->agg);
		if (st == LT_OK)
			st = buf_putc(b, '}');
	}
	if (st == LT_OK)
		st = buf_puts(b, "],\"total\":{");
	if (st == LT_OK)
		st = json_agg(b, metrics_total(m));
	if (st == LT_OK)
		st = buf_puts(b, "},\"input_token_histogram\":[");
	for (size_t i = 0; i < last_bucket(m) && st == LT_OK; i++) {
		char l[32];
		metrics_token_bucket_label(i, l);
		st = buf_printf(b, "%s{\"tokens\":\"%s\",\"requests\":%llu}", i ? "," : "", l,
		                (unsigned long long)metrics_token_bucket(m, i));
	}
	if (st == LT_OK)
		st = buf_putc(b, ']');
	if (st == LT_OK)
		st = json_counts(b, "error_codes", metrics_nerror_codes(m), metrics_error_code, m, "code", "class",
		                 "cloudtrail");
	if (st == LT_OK)
		st = json_counts(b, "guardrail_policies", metrics_nguardrail(m), metrics_guardrail, m, "policy", NULL, NULL);
	if (st == LT_OK)
		st = json_counts(b, "cloudtrail_actions", metrics_nactions(m), metrics_action, m, "action", "category",
		                 "errors");
	if (st == LT_OK)
		st = json_counts(b, "bedrock_resources", metrics_nresources(m), metrics_resource, m, "arn", "type", "errors");
	if (st == LT_OK)
		st = json_counts(b, "credentials", metrics_ncredentials(m), metrics_credential, m, "credential", "kind",
		                 "errors");
	if (st == LT_OK)
		st = buf_puts(b, ",\"anomalies\":[");
	for (size_t i = 0; i < metrics_nanomalies(m) && st == LT_OK; i++) {
		const metrics_anomaly *a = metrics_anomaly_at(m, i);
		char t[LTIME_BUFSZ];
		ltime_format(a->hour_us, 0, t);
		st = buf_printf(b, "%s\n{\"kind\":\"%s\",\"time\":\"%s\",\"series\":\"%s\",\"name\":", i ? "," : "",
		                anomaly_name(a->kind), t, a->series);
		if (st == LT_OK)
			st = jstr(b, a->name);
		if (st == LT_OK)
			st = buf_puts(b, ",\"value\":");
		if (st == LT_OK)
			st = buf_printf(b, "%.4g,\"median\":%.4g,\"mad\":%.4g", a->value, a->median, a->mad);
		if (st == LT_OK)
			st = buf_putc(b, '}');
	}
	if (st == LT_OK)
		st = buf_puts(b, "]}\n");
	return st;
}

static lt_status csv_row(buf *b, const char *const *keys, size_t nby, const metrics_agg *a)
{
	lt_status st = LT_OK;
	for (size_t k = 0; k < nby && st == LT_OK; k++) {
		if (k)
			st = buf_putc(b, ',');
		if (st == LT_OK)
			st = csv_cell(b, keys[k]);
	}
	char v[NAGG][32];
	agg_cells(a, v);
	for (size_t i = 0; i < NAGG && st == LT_OK; i++)
		st = buf_printf(b, ",%s", v[i]);
	return st == LT_OK ? buf_puts(b, "\r\n") : st;
}

static lt_status write_csv(const metrics *m, const char *const *dims, size_t nby, buf *b)
{
	lt_status st = LT_OK;
	for (size_t k = 0; k < nby && st == LT_OK; k++)
		st = buf_printf(b, "%s%s", k ? "," : "", dims[k]);
	for (size_t i = 0; i < NAGG && st == LT_OK; i++)
		st = buf_printf(b, ",%s", json_agg_names[i]);
	if (st == LT_OK)
		st = buf_puts(b, "\r\n");
	for (size_t i = 0; i < metrics_nrows(m) && st == LT_OK; i++)
		st = csv_row(b, metrics_row_at(m, i)->key, nby, &metrics_row_at(m, i)->agg);
	return st;
}

/* "title (calls, errors, error rate):" then "  name [detail]: calls, errors, rate" lines; nothing when n is 0. */
static lt_status text_counts(buf *b, const char *title, size_t n,
                             const metrics_count *(*get)(const metrics *, size_t), const metrics *m)
{
	lt_status st = n > 0 ? buf_printf(b, "\n%s (calls, errors, error rate):\n", title) : LT_OK;
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		const metrics_count *x = get(m, i);
		char e[32];
		ratio(x->errors, x->count, e);
		st = buf_puts(b, "  ");
		if (st == LT_OK)
			st = case_escape_text(b, x->name, strlen(x->name));
		if (st == LT_OK)
			st = buf_printf(b, " [%s]: %llu, %llu, %s\n", x->detail, (unsigned long long)x->count,
			                (unsigned long long)x->errors, e);
	}
	return st;
}

static lt_status write_sections(const metrics *m, buf *b)
{
	lt_status st = buf_puts(b, "\nrequests by input-token size:\n");
	for (size_t i = 0; i < last_bucket(m) && st == LT_OK; i++) {
		char l[32];
		metrics_token_bucket_label(i, l);
		st = buf_printf(b, "  %-16s %llu\n", l, (unsigned long long)metrics_token_bucket(m, i));
	}
	if (st == LT_OK && metrics_nerror_codes(m))
		st = buf_puts(b, "\nerrors by code (invocation logs, CloudTrail Bedrock calls):\n");
	for (size_t i = 0; i < metrics_nerror_codes(m) && st == LT_OK; i++) {
		const metrics_count *x = metrics_error_code(m, i);
		st = buf_puts(b, "  ");
		if (st == LT_OK)
			st = case_escape_text(b, x->name, strlen(x->name));
		if (st == LT_OK)
			st = buf_printf(b, " (%s): %llu, %llu\n", x->detail, (unsigned long long)x->count,
			                (unsigned long long)x->errors);
	}
	if (st == LT_OK && metrics_nguardrail(m))
		st = buf_puts(b, "\nguardrail interventions by policy type:\n");
	for (size_t i = 0; i < metrics_nguardrail(m) && st == LT_OK; i++) {
		const metrics_count *x = metrics_guardrail(m, i);
		st = buf_puts(b, "  ");
		if (st == LT_OK)
			st = case_escape_text(b, x->name, strlen(x->name));
		if (st == LT_OK)
			st = buf_printf(b, ": %llu\n", (unsigned long long)x->count);
	}
	if (st == LT_OK)
		st = text_counts(b, "Bedrock API calls in CloudTrail by action", metrics_nactions(m), metrics_action, m);
	if (st == LT_OK)
		st = text_counts(b, "Bedrock agents, knowledge bases, flows and guardrails called (data events)",
		                 metrics_nresources(m), metrics_resource, m);
	if (st == LT_OK)
		st = text_counts(b, "calls made with a Bedrock API key", metrics_ncredentials(m), metrics_credential, m);
	if (st == LT_OK && metrics_nanomalies(m))
		st = buf_puts(b, "\nanomalies:\n");
	for (size_t i = 0; i < metrics_nanomalies(m) && st == LT_OK; i++) {
		char d[768];
		anomaly_detail(metrics_anomaly_at(m, i), d, sizeof d);
		st = buf_printf(b, "  %-15s ", anomaly_name(metrics_anomaly_at(m, i)->kind));
		if (st == LT_OK)
			st = case_escape_text(b, d, strlen(d));
		if (st == LT_OK)
			st = buf_putc(b, '\n');
	}
	return st;
}

/* The table format: every cell escaped, columns padded to their widest cell
 * (keys left-aligned, numbers right-aligned). */
static lt_status cell_text(buf *cells, size_t *offs, size_t *k, const char *s, bool escape)
{
	offs[(*k)++] = cells->len;
	lt_status st = escape ? case_escape_text(cells, s, strlen(s)) : buf_puts(cells, s);
	return st == LT_OK ? buf_putc(cells, '\0') : st;
}

static lt_status write_aligned(const metrics *m, const char *const *dims, size_t nby, buf *out)
{
	size_t ncol = nby + NAGG, nrow = metrics_nrows(m) + 2;
	size_t *offs = calloc(ncol * nrow, sizeof *offs), *w = calloc(ncol, sizeof *w);
	buf cells;
	buf_init(&cells, 0);
	lt_status st = offs && w ? LT_OK : LT_EFATAL;
	size_t k = 0;
	for (size_t c = 0; c < nby && st == LT_OK; c++)
		st = cell_text(&cells, offs, &k, dims[c], false);
	for (size_t c = 0; c < NAGG && st == LT_OK; c++)
		st = cell_text(&cells, offs, &k, json_agg_names[c], false);
	for (size_t r = 0; r + 1 < nrow && st == LT_OK; r++) {
		bool total = r + 2 == nrow;
		const metrics_row *row = total ? NULL : metrics_row_at(m, r);
		const metrics_agg *a = total ? metrics_total(m) : &row->agg;
		for (size_t c = 0; c < nby && st == LT_OK; c++)
			st = cell_text(&cells, offs, &k, total ? (c ? "-" : "TOTAL") : row->key[c], !total);
		char v[NAGG][32];
		agg_cells(a, v);
		for (size_t c = 0; c < NAGG && st == LT_OK; c++)
			st = cell_text(&cells, offs, &k, v[c], false);
	}
	for (size_t i = 0; st == LT_OK && i < k; i++) {
		size_t len = strlen(cells.data + offs[i]);
		if (len > w[i % ncol])
			w[i % ncol] = len;
	}
	for (size_t i = 0; st == LT_OK && i < k; i++) {
		size_t c = i % ncol;
		const char *t = cells.data + offs[i];
		int pad = (int)(w[c] - strlen(t));
		if (c < nby)
			st = buf_printf(out, "%s%s%*s", c ? "  " : "", t, c + 1 == ncol ? 0 : pad, "");
		else
			st = buf_printf(out, "  %*s%s", pad, "", t);
		if (st == LT_OK && c + 1 == ncol)
			st = buf_putc(out, '\n');
	}
	buf_free(&cells);
	free(offs);
	free(w);
	return st;
}

lt_status metrics_write(const metrics *m, const char *format, buf *out)
{
	size_t nby = 0;
	const metrics_dim *by = metrics_by(m, &nby);
	const char *dims[METRICS_MAX_BY];
	for (size_t i = 0; i < nby; i++)
		dims[i] = metrics_dim_name(by[i]);
	bool csv = format && strcmp(format, "csv") == 0;
	if (format && strcmp(format, "json") == 0)
		return write_json(m, dims, nby, out);
	if (csv)
		return write_csv(m, dims, nby, out);
	lt_status st = write_aligned(m, dims, nby, out);
	return st == LT_OK ? write_sections(m, out) : st;
}

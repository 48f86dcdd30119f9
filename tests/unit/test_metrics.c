/*
 * test_metrics.c — usage metrics and anomalies (analyzers/audit/metrics.c,
 * analyzers/audit/metrics_report.c), fed with synthetic events.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/audit/metrics.h"
#include "analyzers/audit/metrics_report.h"
#include "common/buf.h"
#include "common/arena.h"
#include "common/ltime.h"
#include "ingest/event.h"
#include "model/report.h"

#define HOUR (3600LL * 1000000LL)
#define T0 1767225600000000LL /* 2026-01-01T00:00:00Z */

static ev_str S(const char *s)
{
	return s ? ev_str_from(s, strlen(s)) : EV_STR_NULL;
}

static event inv(int64_t t, const char *principal, const char *model, int64_t in, int64_t out, int64_t lat,
                 const char *error)
{
	event e;
	event_init(&e);
	e.source = EV_SRC_INVOCATION;
	e.time_us = t;
	e.principal = S(principal);
	e.model = S(model);
	e.account = S("111122223333");
	e.region = S("us-east-1");
	e.action = S("Converse");
	e.service = S("bedrock");
	e.input_tokens = in;
	e.output_tokens = out;
	e.latency_ms = lat;
	e.error_code = S(error);
	e.uid = S("u");
	return e;
}

static event ct(int64_t t, const char *principal, const char *action, const char *service, const char *error)
{
	event e;
	event_init(&e);
	e.source = EV_SRC_CLOUDTRAIL;
	e.time_us = t;
	e.principal = S(principal);
	e.action = S(action);
	e.service = S(service);
	e.error_code = S(error);
	e.uid = S("c");
	return e;
}

static void add(metrics *m, event e)
{
	lt_error err;
	assert_int_equal(metrics_add(m, &e, &err), LT_OK);
}

static const metrics_row *row(const metrics *m, const char *k0)
{
	for (size_t i = 0; i < metrics_nrows(m); i++)
		if (strcmp(metrics_row_at(m, i)->key[0], k0) == 0)
			return metrics_row_at(m, i);
	fail_msg("no row %s", k0);
	return metrics_row_at(m, 0);
}

static size_t count_anomalies(const metrics *m, metrics_anomaly_kind k, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < metrics_nanomalies(m); i++) {
		const metrics_anomaly *a = metrics_anomaly_at(m, i);
		if (a->kind == k && (name == NULL || strcmp(a->name, name) == 0))
			n++;
	}
	return n;
}

static void metrics__latencies__nearest_rank_percentiles(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	assert_non_null(m);
	for (int i = 100; i >= 1; i--)
		add(m, inv(T0 + i, "p", "model-a", 10, 5, i, NULL));
	add(m, inv(T0, "p", "model-b", 3, 1, -1, NULL)); /* no latency */
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	const metrics_row *a = row(m, "model-a");
	assert_int_equal(a->agg.invocations, 100);
	assert_int_equal(a->agg.input_tokens, 1000);
	assert_int_equal(a->agg.output_tokens, 500);
	assert_true(a->agg.latency_exact);
	assert_true(a->agg.latency_p50 == 50.0);
	assert_true(a->agg.latency_p90 == 90.0);
	assert_true(a->agg.latency_p99 == 99.0);
	assert_int_equal(a->agg.latency_max, 100);
	const metrics_row *b = row(m, "model-b");
	assert_true(isnan(b->agg.latency_p50));
	assert_int_equal(b->agg.latency_max, -1);
	assert_int_equal(metrics_total(m)->invocations, 101);
	metrics_free(m);
	metrics_free(NULL);
}

static void metrics__many_latencies__reservoir_marked_approximate(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	for (int i = 0; i < METRICS_LAT_CAP + 5000; i++)
		add(m, inv(T0 + i, "p", "m", 1, 1, 100 + (i % 100), NULL));
	add(m, inv(T0, "p", "m", 1, 1, 99999, NULL));
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	const metrics_row *r = row(m, "m");
	assert_false(r->agg.latency_exact);
	assert_int_equal(r->agg.latency_max, 99999); /* max stays exact */
	assert_true(r->agg.latency_p50 >= 140 && r->agg.latency_p50 <= 160);
	metrics_free(m);
}

static void metrics__errors__classified(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	add(m, inv(T0, "p", "m", 1, 1, 1, "ThrottlingException"));
	add(m, inv(T0, "p", "m", 1, 1, 1, "InternalServerException"));
	add(m, inv(T0, "p", "m", 1, 1, 1, "ValidationException"));
	add(m, inv(T0, "p", "m", 1, 1, 1, "ValidationException"));
	add(m, ct(T0, "p", "InvokeModel", "bedrock.amazonaws.com", "AccessDenied"));
	add(m, ct(T0, "p", "InvokeAgent", "bedrock.amazonaws.com", NULL));
	add(m, ct(T0, "p", "Retrieve", "bedrock.amazonaws.com", NULL));
	add(m, ct(T0, "p", "InvokeFlow", "bedrock.amazonaws.com", NULL));
	add(m, ct(T0, "p", "GetCallerIdentity", "sts.amazonaws.com", NULL)); /* not Bedrock */
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	const metrics_agg *t = metrics_total(m);
	assert_int_equal(t->throttles, 1);
	assert_int_equal(t->server_errors, 1);
	assert_int_equal(t->client_errors, 2);
	assert_int_equal(t->ct_calls, 4);
	assert_int_equal(t->ct_errors, 1);
	assert_int_equal(t->ct_runtime, 1);
	assert_int_equal(t->ct_agent, 1);
	assert_int_equal(t->ct_kb, 1);
	assert_int_equal(t->ct_flow, 1);
	assert_int_equal(metrics_nerror_codes(m), 4);
	const metrics_count *c = metrics_error_code(m, 0); /* most frequent first */
	assert_string_equal(c->name, "ValidationException");
	assert_string_equal(c->detail, "client");
	assert_int_equal(c->count, 2);
	assert_int_equal(metrics_nactions(m), 4);
	metrics_free(m);
}

static void metrics__data_events__counted_by_resource_and_credential(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	static const char *const recs[] = {
		"{\"resources\":[{\"type\":\"AWS::Bedrock::KnowledgeBase\",\"ARN\":\"arn:kb/1\"}]}",
		"{\"resources\":[{\"type\":\"AWS::Bedrock::KnowledgeBase\",\"ARN\":\"arn:kb/1\"}]}",
		"{\"resources\":[{\"type\":\"AWS::Bedrock::Guardrail\",\"ARN\":\"arn:gr/1\"},"
		"{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:s3\"},{\"type\":\"AWS::Bedrock::Guardrail\"},7]}",
		"{\"resources\":\"not an array\"}",
	};
	static const char *const actions[] = {"Retrieve", "Retrieve", "ApplyGuardrail", "Converse"};
	metrics *m = metrics_new(NULL);
	for (size_t i = 0; i < 4; i++) {
		event e = ct(T0, "p", actions[i], "bedrock.amazonaws.com", i == 1 ? "AccessDenied" : NULL);
		json_value *doc = NULL;
		lt_error err;
		assert_int_equal(json_parse(a, recs[i], strlen(recs[i]), NULL, &doc, NULL, &err), LT_OK);
		e.doc = doc;
		if (i == 3)
			e.flags |= EV_F_BEARER_TOKEN;
		add(m, e);
	}
	event kb;
	event_init(&kb);
	kb.source = EV_SRC_KBLOG;
	kb.time_us = T0;
	kb.model = S("arn:aws:bedrock:us-east-1:111122223333:knowledge-base/KB1");
	add(m, kb); /* a knowledge base log record: not a model, not a call */
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(metrics_nresources(m), 2);
	const metrics_count *c = metrics_resource(m, 0);
	assert_string_equal(c->name, "arn:kb/1");
	assert_string_equal(c->detail, "KnowledgeBase");
	assert_int_equal(c->count, 2);
	assert_int_equal(c->errors, 1);
	assert_string_equal(metrics_resource(m, 1)->detail, "Guardrail");
	assert_int_equal(metrics_ncredentials(m), 1);
	assert_string_equal(metrics_credential(m, 0)->name, "bedrock-api-key");
	assert_int_equal(metrics_credential(m, 0)->count, 1);
	assert_int_equal(count_anomalies(m, METRICS_A_NEW_MODEL, NULL), 0);
	metrics_free(m);
	arena_free(a);
}

static void metrics__input_tokens__log2_buckets(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	const int64_t toks[] = {0, 1, 2, 3, 4, 7, 8, 1000, 1024};
	for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++)
		add(m, inv(T0, "p", "m", toks[i], 0, -1, NULL));
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(metrics_token_bucket(m, 0), 1); /* 0 */
	assert_int_equal(metrics_token_bucket(m, 1), 1); /* 1 */
	assert_int_equal(metrics_token_bucket(m, 2), 2); /* 2-3 */
	assert_int_equal(metrics_token_bucket(m, 3), 2); /* 4-7 */
	assert_int_equal(metrics_token_bucket(m, 4), 1); /* 8-15 */
	assert_int_equal(metrics_token_bucket(m, 10), 1); /* 512-1023 */
	assert_int_equal(metrics_token_bucket(m, 11), 1); /* 1024-2047 */
	char l[32];
	metrics_token_bucket_label(11, l);
	assert_string_equal(l, "1024-2047");
	metrics_free(m);
}

static void metrics__by_principal_and_day__keys(void **state)
{
	(void)state;
	metrics_options o;
	metrics_options_init(&o);
	o.by[0] = METRICS_BY_PRINCIPAL;
	o.by[1] = METRICS_BY_DAY;
	o.nby = 2;
	o.since_us = T0;
	metrics *m = metrics_new(&o);
	add(m, inv(T0 + 1, "alice", "m", 1, 1, 1, NULL));
	add(m, inv(T0 + 25 * HOUR, "alice", "m", 1, 1, 1, NULL));
	add(m, inv(T0 + 2, "bob", "m", 1, 1, 1, NULL));
	add(m, inv(T0 - 1, "carol", "m", 1, 1, 1, NULL)); /* before --since */
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(metrics_nrows(m), 3);
	assert_string_equal(metrics_row_at(m, 0)->key[0], "alice");
	assert_string_equal(metrics_row_at(m, 0)->key[1], "2026-01-01");
	assert_string_equal(metrics_row_at(m, 1)->key[1], "2026-01-02");
	assert_string_equal(metrics_row_at(m, 2)->key[0], "bob");
	assert_int_equal(metrics_total(m)->invocations, 3);
	assert_int_equal(metrics_dim_parse("hour"), METRICS_BY_HOUR);
	assert_int_equal(metrics_dim_parse("week"), -1);
	metrics_free(m);
}

static void metrics__burst_after_baseline__invocation_anomaly(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	for (int h = 0; h < 72; h++) {
		add(m, inv(T0 + h * HOUR + 60, "steady", "m", 100, 100, 10, NULL));
		add(m, inv(T0 + h * HOUR + 120, "steady", "m", 100, 100, 10, NULL));
	}
	for (int i = 0; i < 40; i++) /* the burst: hour 50 */
		add(m, inv(T0 + 50 * HOUR + i, "jacker", "m", 2000, 2000, 10, NULL));
	add(m, inv(T0, "jacker", "m", 1, 1, 1, NULL));
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(count_anomalies(m, METRICS_A_INVOCATIONS, "jacker"), 1);
	assert_int_equal(count_anomalies(m, METRICS_A_TOKENS, "jacker"), 1);
	assert_int_equal(count_anomalies(m, METRICS_A_INVOCATIONS, "steady"), 0);
	/* the model's series jumps from 2 to 42 an hour too, but that is jacker's
	 * burst (its excess covers the model's): one cause, one anomaly */
	assert_int_equal(count_anomalies(m, METRICS_A_INVOCATIONS, "m"), 0);
	assert_int_equal(count_anomalies(m, METRICS_A_TOKENS, "m"), 0);
	for (size_t i = 0; i < metrics_nanomalies(m); i++) {
		const metrics_anomaly *a = metrics_anomaly_at(m, i);
		if (a->kind == METRICS_A_INVOCATIONS && strcmp(a->name, "jacker") == 0) {
			assert_int_equal(a->hour_us, T0 + 50 * HOUR);
			assert_true(a->value == 40.0);
			assert_true(a->score >= METRICS_Z);
		}
	}
	metrics_free(m);
}

/* A model's spike that no principal's spike in the same hour explains (many
 * principals each a little busier) is still reported on the model. */
static void metrics__model_spike_without_principal_spike__kept(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	static const char *const who[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
	for (int h = 0; h < 72; h++)
		for (int k = 0; k < 8; k++)
			add(m, inv(T0 + h * HOUR + 60 + k, who[k], "m", 100, 100, 10, NULL));
	for (int k = 0; k < 8; k++) /* hour 50: each principal 6 calls instead of 1 */
		for (int i = 0; i < 5; i++)
			add(m, inv(T0 + 50 * HOUR + 600 + k * 10 + i, who[k], "m", 100, 100, 10, NULL));
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(count_anomalies(m, METRICS_A_INVOCATIONS, "m"), 1);
	metrics_free(m);
}

/* A nightly job whose size varies (40 calls one night, 93 the next) in an
 * hour it was seen in once: a series with few observations must dwarf its
 * past (METRICS_SPARSE_FACTOR), not merely double it; an assumed-role
 * session is judged as its role, so rotating sessions are one series. */
static void metrics__sparse_series_and_role_sessions__not_anomalous(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	for (int i = 0; i < 40; i++)
		add(m, inv(T0 + 26 * HOUR + i, "batch", "m2", 500, 500, 10, NULL));
	for (int i = 0; i < 93; i++)
		add(m, inv(T0 + 51 * HOUR + i, "batch", "m2", 500, 500, 10, NULL));
	char arn[128];
	for (int h = 0; h < 72; h++) /* a fleet: a new session name every hour */
		for (int i = 0; i < 3; i++) {
			snprintf(arn, sizeof arn, "arn:aws:sts::1:assumed-role/app/i-%04d", h);
			add(m, inv(T0 + h * HOUR + 60 * i, arn, "m", 100, 100, 10, NULL));
		}
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(count_anomalies(m, METRICS_A_INVOCATIONS, NULL), 0);
	assert_int_equal(count_anomalies(m, METRICS_A_TOKENS, NULL), 0);
	metrics_free(m);
}

static void metrics__nightly_batch__not_anomalous(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	for (int d = 0; d < 7; d++)
		for (int i = 0; i < 30; i++)
			add(m, inv(T0 + d * 24 * HOUR + 2 * HOUR + i, "batch", "m", 500, 500, 10, NULL));
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(count_anomalies(m, METRICS_A_INVOCATIONS, NULL), 0);
	assert_int_equal(count_anomalies(m, METRICS_A_TOKENS, NULL), 0);
	metrics_free(m);
}

static void metrics__error_burst__error_rate_anomaly(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	for (int h = 0; h < 40; h++)
		for (int i = 0; i < 10; i++)
			add(m, inv(T0 + h * HOUR + i, "app", "m", 1, 1, 1, (h == 30 && i < 8) ? "AccessDeniedException" : NULL));
	for (int i = 0; i < 10; i++)
		add(m, inv(T0 + 35 * HOUR + i, "app2", "m2", 1, 1, 1, NULL));
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(count_anomalies(m, METRICS_A_ERROR_RATE, "app"), 1);
	assert_int_equal(count_anomalies(m, METRICS_A_THROTTLE_RATE, NULL), 0);
	metrics_free(m);
}

static void metrics__late_newcomers__first_seen(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	for (int d = 0; d < 8; d++) {
		event e = ct(T0 + d * 24 * HOUR, "old", "GetCallerIdentity", "sts.amazonaws.com", NULL);
		e.source_ip = S("10.0.0.1");
		e.user_agent = S("aws-cli");
		add(m, e);
	}
	event e = ct(T0 + 6 * 24 * HOUR, "new-user", "InvokeModel", "bedrock.amazonaws.com", NULL);
	e.source_ip = S("203.0.113.9");
	e.user_agent = S("aws-cli");
	e.uid = S("ev-new");
	add(m, e);
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(count_anomalies(m, METRICS_A_NEW_PRINCIPAL, "new-user"), 1);
	assert_int_equal(count_anomalies(m, METRICS_A_NEW_SOURCE_IP, "203.0.113.9"), 1);
	assert_int_equal(count_anomalies(m, METRICS_A_NEW_PRINCIPAL, "old"), 0);
	assert_int_equal(count_anomalies(m, METRICS_A_NEW_USER_AGENT, NULL), 0);
	metrics_free(m);
}

static void metrics__report__dashboard_and_findings(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	for (int h = 0; h < 72; h++)
		add(m, inv(T0 + h * HOUR, "steady", "model-a", 100, 50, 20 + h, NULL));
	for (int i = 0; i < 40; i++)
		add(m, inv(T0 + 60 * HOUR + i, "jacker", "model-b", 10, 10, 5, NULL));
	event g = inv(T0 + 61 * HOUR, "steady", "model-a", 1, 0, 5, NULL);
	g.flags |= EV_F_GUARDRAIL;
	add(m, g);
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	assert_int_equal(metrics_nguardrail(m), 1);
	assert_string_equal(metrics_guardrail(m, 0)->name, "unknown"); /* no document: policy unknown */
	report *r = report_new(NULL);
	assert_int_equal(metrics_add_to_report(m, r, &err), LT_OK);
	assert_true(report_ntables(r) >= 6);
	assert_true(report_ncharts(r) >= 5);
	bool latency = false;
	for (size_t i = 0; i < report_ncharts(r); i++)
		latency = latency || strstr(report_chart(r, i)->title.p, "latency") != NULL;
	assert_true(latency);
	assert_true(report_nfindings(r) >= 1);
	const rpt_finding *f = report_finding(r, 0);
	assert_true(report_rule(r, f->rule)->pack.n == 7);
	report_free(r);
	metrics_free(m);
}

static void metrics__csv__formula_cells_neutralised(void **state)
{
	(void)state;
	metrics *m = metrics_new(NULL);
	add(m, inv(T0, "p", "=HYPERLINK(\"x\")", 1, 1, 1, NULL));
	lt_error err;
	assert_int_equal(metrics_finish(m, &err), LT_OK);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(metrics_write(m, "csv", &b), LT_OK);
	assert_non_null(strstr(buf_cstr(&b), "\"'=HYPERLINK(\"\"x\"\")\""));
	buf_reset(&b);
	assert_int_equal(metrics_write(m, "json", &b), LT_OK);
	assert_non_null(strstr(buf_cstr(&b), "\"by\":[\"model\"]"));
	buf_free(&b);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics__latencies__nearest_rank_percentiles),
		cmocka_unit_test(metrics__many_latencies__reservoir_marked_approximate),
		cmocka_unit_test(metrics__errors__classified),
		cmocka_unit_test(metrics__data_events__counted_by_resource_and_credential),
		cmocka_unit_test(metrics__input_tokens__log2_buckets),
		cmocka_unit_test(metrics__by_principal_and_day__keys),
		cmocka_unit_test(metrics__burst_after_baseline__invocation_anomaly),
		cmocka_unit_test(metrics__model_spike_without_principal_spike__kept),
		cmocka_unit_test(metrics__nightly_batch__not_anomalous),
		cmocka_unit_test(metrics__sparse_series_and_role_sessions__not_anomalous),
		cmocka_unit_test(metrics__error_burst__error_rate_anomaly),
		cmocka_unit_test(metrics__late_newcomers__first_seen),
		cmocka_unit_test(metrics__report__dashboard_and_findings),
		cmocka_unit_test(metrics__csv__formula_cells_neutralised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

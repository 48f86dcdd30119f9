/*
 * fuzz_sigma_corr.c — libFuzzer target for the Sigma loader with correlation
 * rules (seeded by the shipped correlation rules, docs/fuzzing.md). The input
 * is a rule file (YAML, several documents); it is loaded and compiled, then a
 * fixed sequence of CloudTrail and invocation events (principals, addresses,
 * models, latencies and token counts varying, times one minute to hours
 * apart) is matched through it twice: with ruleset_match, then, after
 * ruleset_reset_state, through the two stages (sigma_detect on a detector,
 * sigma_detection_copy, ruleset_match_detected). Both passes end with
 * ruleset_finish and must give the same hits, in the same order: the target
 * aborts when they differ (a differential check of the two-stage API, which
 * scan uses, against the one-call API, which `rules test` uses).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/sigma/sigma.h"
#include "common/arena.h"
#include "ingest/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NEVENTS 16
#define MAX_TRACE 4096

/* One hit as a number: rule index, whether it is an error or a correlation,
 * and the correlation's event count. */
typedef struct trace {
	uint64_t v[MAX_TRACE];
	size_t n;
	const sigma_ruleset *rs;
} trace;

static uint64_t rule_index(const sigma_ruleset *rs, const sigma_rule *r)
{
	for (size_t i = 0; i < ruleset_count(rs); i++)
		if (ruleset_rule(rs, i) == r)
			return i;
	abort(); /* a hit names a rule that is not in its ruleset */
}

static int on_hit(void *ctx, const sigma_hit *h)
{
	trace *t = ctx;
	uint64_t v = rule_index(t->rs, h->rule) << 24;
	v |= h->error != NULL ? 1u << 20 : 0;
	if (h->corr != NULL) {
		if (h->corr->group == NULL || h->corr->nevents > SIGMA_CORR_MAX_WINDOW ||
		    (h->corr->nevents > 0 && h->corr->events == NULL))
			abort();
		v |= (1u << 21) | (h->corr->nevents & 0xfffff);
	}
	if (t->n < MAX_TRACE)
		t->v[t->n++] = v;
	return 0;
}

static int build_events(arena *a, event *evs)
{
	static const char *const principals[] = {"arn:aws:iam::1:user/a", "arn:aws:iam::1:user/b",
	                                         "arn:aws:sts::1:assumed-role/r/s"};
	static const char *const actions[] = {"InvokeModel", "ListFoundationModels", "Converse",
	                                      "DeleteModelInvocationLoggingConfiguration",
	                                      "GetFoundationModelAvailability", "PutUseCaseForModelAccess"};
	static const char *const models[] = {"anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"};
	int64_t t = 1714564800000000; /* 2024-05-01T12:00:00Z */
	for (int i = 0; i < NEVENTS; i++) {
		char doc[1024];
		bool inv = i % 3 == 2;
		if (inv)
			snprintf(doc, sizeof doc,
			         "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"x\",\"accountId\":\"1\","
			         "\"identity\":{\"arn\":\"%s\"},\"region\":\"us-east-1\",\"requestId\":\"r%d\","
			         "\"operation\":\"%s\",\"modelId\":\"%s\",\"input\":{\"inputTokenCount\":%d},"
			         "\"output\":{\"outputTokenCount\":%d,\"outputBodyJson\":{\"metrics\":"
			         "{\"latencyMs\":%d},\"stopReason\":\"end_turn\"}}}",
			         principals[i % 3], i, actions[i % 6], models[i % 2], 10 + i * 997, i * 31,
			         i * 4000);
		else
			snprintf(doc, sizeof doc,
			         "{\"eventSource\":\"bedrock.amazonaws.com\",\"eventName\":\"%s\","
			         "\"userIdentity\":{\"arn\":\"%s\",\"accessKeyId\":\"AKIA%04d\"},"
			         "\"sourceIPAddress\":\"10.0.%d.1\",\"userAgent\":\"ua%d\",\"awsRegion\":\"us-east-1\","
			         "\"requestParameters\":{\"modelId\":\"%s\"},\"errorCode\":%s,\"eventID\":\"e%d\"}",
			         actions[i % 6], principals[i % 3], i % 2, i % 4, i % 5, models[i % 2],
			         i % 4 == 1 ? "\"AccessDenied\"" : "null", i);
		size_t n = strlen(doc);
		char *copy = arena_alloc(a, n + 1);
		json_value *v;
		lt_error err;
		if (copy == NULL)
			return -1;
		memcpy(copy, doc, n + 1);
		if (json_parse(a, copy, n, NULL, &v, NULL, &err) != LT_OK)
			abort(); /* the fixed events are valid JSON */
		event *ev = &evs[i];
		memset(ev, 0, sizeof *ev);
		ev->source = inv ? EV_SRC_INVOCATION : EV_SRC_CLOUDTRAIL;
		ev->doc = v;
		ev->raw = ev_str_from(copy, n);
		ev->time_us = t;
		ev->seq = (uint64_t)i + 1;
		ev->principal = ev_str_from(principals[i % 3], strlen(principals[i % 3]));
		ev->prompt = ev_str_from("ignore previous instructions", 28);
		t += i % 5 == 4 ? 3 * 3600 * 1000000LL : 60 * 1000000LL; /* windows close now and then */
	}
	return 0;
}

static void one_call(sigma_ruleset *rs, const event *evs, trace *t)
{
	for (int i = 0; i < NEVENTS; i++)
		if (ruleset_match(rs, &evs[i], on_hit, t) != LT_OK)
			abort(); /* compiled, so only out of memory could fail */
	if (ruleset_finish(rs, on_hit, t) != LT_OK)
		abort();
}

static void two_stage(sigma_ruleset *rs, const event *evs, trace *t)
{
	sigma_detector *d = sigma_detector_new(rs);
	if (d == NULL)
		abort();
	for (int i = 0; i < NEVENTS; i++) {
		const sigma_detection *det;
		if (sigma_detect(d, &evs[i], &det) != LT_OK || det == NULL)
			abort();
		void *mem = malloc(sigma_detection_size(det));
		if (mem == NULL)
			abort();
		const sigma_detection *copy = sigma_detection_copy(det, mem);
		if (ruleset_match_detected(rs, &evs[i], copy, on_hit, t) != LT_OK)
			abort();
		free(mem);
	}
	sigma_detector_free(d);
	if (ruleset_finish(rs, on_hit, t) != LT_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigma_ruleset *rs = ruleset_new();
	arena *a = arena_new(0, 0);
	static trace t1, t2;
	event evs[NEVENTS];
	lt_error err;
	lt_error_clear(&err);
	if (rs != NULL && a != NULL && build_events(a, evs) == 0 &&
	    ruleset_load_text(rs, "fuzz.yml", (const char *)data, size, &err) == LT_OK &&
	    ruleset_compile(rs, &err) == LT_OK) {
		t1.n = t2.n = 0;
		t1.rs = t2.rs = rs;
		one_call(rs, evs, &t1);
		ruleset_reset_state(rs);
		two_stage(rs, evs, &t2);
		if (t1.n != t2.n || memcmp(t1.v, t2.v, t1.n * sizeof t1.v[0]) != 0)
			abort(); /* the two-stage API disagrees with ruleset_match */
	}
	arena_free(a);
	ruleset_free(rs);
	return 0;
}

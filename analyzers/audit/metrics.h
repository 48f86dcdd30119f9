/*
 * metrics.h — Bedrock usage metrics and anomalies computed offline from a
 * case (DESIGN.md §6 "Built-in analyzers"; methods and thresholds in
 * docs/metrics.md).
 *
 * What the Bedrock CloudWatch dashboard shows, per model, principal,
 * account/region, day and hour: invocations, latency percentiles, input and
 * output tokens, requests by input-token size, client/server errors and
 * throttles (by error code), guardrail interventions (by policy type); and
 * from CloudTrail the Bedrock API calls by action with their error rates and
 * the agent / knowledge-base / flow invocations (data events). Invocation
 * figures come from invocation-log records; the ct_* figures from CloudTrail
 * events with eventSource bedrock.amazonaws.com.
 *
 * Anomalies (metrics_finish): per principal and per model, hours whose
 * invocation count, token volume, error rate or throttle rate deviate from
 * the series' own trailing baseline (median/MAD), and first appearances of a
 * principal, model, source IP or user agent after the case's first days.
 *
 * Use: metrics_new, metrics_add for each replayed event (any order; header
 * fields suffice, the doc only adds guardrail policy types), metrics_finish,
 * then read (or add to a report: metrics_report.h); or metrics_run(case)
 * which does it all with a replay. Memory is bounded: METRICS_MAX_GROUPS keys per grouping (the rest
 * go to "(other)"), METRICS_LAT_CAP latencies kept per group and
 * METRICS_LAT_BUDGET in all (past them, a deterministic reservoir sample of
 * what the group holds: percentiles become approximate and say so),
 * METRICS_MAX_CELLS (series, hour) cells for anomalies.
 *
 * Ownership: metrics is opaque; metrics_free(NULL) is a no-op. Rows and
 * strings read back live until metrics_free.
 * Failures: LT_EFATAL out of memory (or a replay failure in metrics_run).
 */
#ifndef LLMTRAIL_ANALYZERS_METRICS_H
#define LLMTRAIL_ANALYZERS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "ingest/event.h"
#include "model/report.h"
#include "store/case.h"

#define METRICS_MAX_GROUPS 100000
#define METRICS_LAT_CAP 50000
#define METRICS_LAT_BUDGET ((size_t)16 << 20) /* latencies kept over all groups (64 MiB) */
#define METRICS_MAX_CELLS 2000000
#define METRICS_MAX_BY 5
#define METRICS_TOKEN_BUCKETS 26 /* 0, 1, 2-3, 4-7, ..., >= 2^24 */

/* anomaly method (docs/metrics.md) */
#define METRICS_WINDOW_HOURS 168   /* trailing baseline: 7 days */
#define METRICS_MIN_HISTORY 24     /* hours of a series' own history (one daily cycle) before it is judged */
#define METRICS_MIN_ACTIVE_HOURS 12 /* hours with calls in the window for the factor below ... */
#define METRICS_SPARSE_FACTOR 10.0 /* ... else an hour must exceed this times the window's maximum */
#define METRICS_Z 6.0              /* robust z-score threshold */
#define METRICS_MAX_FACTOR 2.0     /* and more than this times the window's maximum */
#define METRICS_MIN_INVOCATIONS 10 /* smallest anomalous hourly count */
#define METRICS_MIN_TOKENS 20000
#define METRICS_MIN_ERRORS 5       /* errors (or throttles) in the hour for a rate anomaly */
#define METRICS_MIN_RATE 0.2       /* error (throttle) rate at least this ... */
#define METRICS_RATE_DELTA 0.2     /* ... and this far above the baseline median rate */
#define METRICS_FIRST_SEEN_HOURS 48 /* first appearances count after this much of the case ... */
#define METRICS_FIRST_SEEN_MIN_DAYS 7 /* ... and only in a case spanning at least this many days */
#define METRICS_FIRST_SEEN_MAX 100 /* first-seen findings per kind (the rest counted) */

typedef enum metrics_dim {
	METRICS_BY_MODEL = 0,
	METRICS_BY_PRINCIPAL,
	METRICS_BY_REGION, /* account/region */
	METRICS_BY_DAY,
	METRICS_BY_HOUR,
	METRICS_NDIMS
} metrics_dim;

/* "model", "principal", "region", "day", "hour"; parse returns -1 if unknown. */
const char *metrics_dim_name(metrics_dim d);
int metrics_dim_parse(const char *s);

typedef struct metrics_options {
	int64_t since_us, until_us; /* INT64_MIN / INT64_MAX = no bound */
	metrics_dim by[METRICS_MAX_BY];
	size_t nby;                 /* 0 = by model */
} metrics_options;

void metrics_options_init(metrics_options *o);

typedef struct metrics_agg {
	/* invocation logs */
	uint64_t invocations;
	uint64_t input_tokens, output_tokens;
	uint64_t client_errors, server_errors, throttles;
	uint64_t guardrail_interventions;
	uint64_t latency_n;         /* invocations with a latency */
	int64_t latency_max;        /* -1 if none */
	double latency_p50, latency_p90, latency_p99; /* NAN if none */
	bool latency_exact;         /* false once the reservoir sampled */
	/* CloudTrail, eventSource bedrock.amazonaws.com */
	uint64_t ct_calls, ct_errors, ct_throttles;
	uint64_t ct_runtime;        /* InvokeModel*, Converse* */
	uint64_t ct_agent, ct_kb, ct_flow; /* data events */
} metrics_agg;

typedef struct metrics_row {
	const char *key[METRICS_MAX_BY]; /* one per --by dimension */
	metrics_agg agg;
} metrics_row;

typedef struct metrics_count {
	const char *name;
	const char *detail; /* e.g. error class; may be "" */
	uint64_t count, errors;
} metrics_count;

typedef enum metrics_anomaly_kind {
	METRICS_A_INVOCATIONS = 0,
	METRICS_A_TOKENS,
	METRICS_A_ERROR_RATE,
	METRICS_A_THROTTLE_RATE,
	METRICS_A_NEW_PRINCIPAL,
	METRICS_A_NEW_MODEL,
	METRICS_A_NEW_SOURCE_IP,
	METRICS_A_NEW_USER_AGENT,
	METRICS_A_COUNT
} metrics_anomaly_kind;

typedef struct metrics_anomaly {
	metrics_anomaly_kind kind;
	const char *series;   /* "principal" or "model" (rate/count kinds); "" for first-seen */
	const char *name;     /* the principal/model, or the new value */
	int64_t hour_us;      /* the hour, or the first-seen time */
	double value;         /* the hour's value (count, tokens, rate) */
	double median, mad;   /* baseline (rates and counts) */
	double score;         /* robust z */
	const char *principal; /* first-seen: who; may be "" */
	const char *source, *uid; /* first-seen: the first event */
} metrics_anomaly;

typedef struct metrics metrics;

metrics *metrics_new(const metrics_options *o) LT_WUR;
void metrics_free(metrics *m);

/* Whether metrics_add reads more of ev than its header fields (the record's
 * resources, a guardrail's policies): decided from the header alone, so a
 * replay can leave the record unread when nothing else needs it. */
bool metrics_wants_record(const event *ev);
/* Learns ev from an earlier, known-good case (--baseline) before this case's
 * events: its principals, models, source IPs and user agents are never "first
 * seen" here, and the first-seen checks need the span of both cases together
 * to reach METRICS_FIRST_SEEN_MIN_DAYS; this case is then judged from
 * its first event (no warm-up). LT_EFATAL on out of memory. */
lt_status metrics_learn(metrics *m, const event *ev, lt_error *err) LT_WUR;
lt_status metrics_add(metrics *m, const event *ev, lt_error *err) LT_WUR;
/* Percentiles, sorting and anomalies; call once after the last metrics_add. */
lt_status metrics_finish(metrics *m, lt_error *err) LT_WUR;
/* Replays the case (headers plus documents, no derived text) through m and finishes. */
lt_status metrics_run(case_db *c, metrics *m, lt_error *err) LT_WUR;

/* The --by grouping, sorted by key. */
size_t metrics_nrows(const metrics *m);
const metrics_row *metrics_row_at(const metrics *m, size_t i);
const metrics_agg *metrics_total(const metrics *m);
/* Requests by input-token size: count in bucket i (0: 0 tokens; i >= 1: [2^(i-1), 2^i)). */
uint64_t metrics_token_bucket(const metrics *m, size_t i);
void metrics_token_bucket_label(size_t i, char out[32]);
/* Error codes (detail = class: client|server|throttle; count = invocation logs, errors = CloudTrail). */
size_t metrics_nerror_codes(const metrics *m);
const metrics_count *metrics_error_code(const metrics *m, size_t i);
/* Guardrail interventions by policy type ("unknown" when the trace is absent). */
size_t metrics_nguardrail(const metrics *m);
const metrics_count *metrics_guardrail(const metrics *m, size_t i);
/* CloudTrail Bedrock calls by action (detail = category, errors = with errorCode). */
size_t metrics_nactions(const metrics *m);
const metrics_count *metrics_action(const metrics *m, size_t i);
/* Bedrock resources named by CloudTrail data events (name = ARN, detail =
 * AgentAlias|KnowledgeBase|FlowAlias|Guardrail|Prompt..., errors = with errorCode). */
size_t metrics_nresources(const metrics *m);
const metrics_count *metrics_resource(const metrics *m, size_t i);
/* Calls by credential kind when it is not SigV4 (today: "bedrock-api-key",
 * the calls with additionalEventData.callWithBearerToken; errors = with errorCode). */
size_t metrics_ncredentials(const metrics *m);
const metrics_count *metrics_credential(const metrics *m, size_t i);
size_t metrics_nanomalies(const metrics *m);
const metrics_anomaly *metrics_anomaly_at(const metrics *m, size_t i);

/* The fixed groupings kept beside the --by one (for the report), each
 * sorted by key; rows of METRICS_VIEW_DAY_MODEL have key[0] = day, key[1] = model. */
typedef enum metrics_view {
	METRICS_VIEW_BY = 0, /* the --by grouping (= metrics_row_at) */
	METRICS_VIEW_MODEL,  /* with latency percentiles */
	METRICS_VIEW_PRINCIPAL,
	METRICS_VIEW_REGION,
	METRICS_VIEW_DAY_MODEL,
	METRICS_VIEW_DAY,
	METRICS_VIEW_HOUR,
	METRICS_NVIEWS
} metrics_view;

size_t metrics_view_nrows(const metrics *m, metrics_view v);
const metrics_row *metrics_view_row(const metrics *m, metrics_view v, size_t i);
/* The --by dimensions in effect (n of them). */
const metrics_dim *metrics_by(const metrics *m, size_t *n);
/* Span of the events added (INT64_MIN when none). */
int64_t metrics_first_us(const metrics *m);
int64_t metrics_last_us(const metrics *m);
/* True when the case was too short (< METRICS_FIRST_SEEN_MIN_DAYS) for
 * first-seen judgements: none were made (valid after metrics_finish). */
bool metrics_first_seen_short(const metrics *m);

#endif

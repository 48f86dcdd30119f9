/*
 * reconcile.h — CloudTrail <-> Bedrock invocation-log reconciliation and
 * coverage gaps (DESIGN.md §6 "Built-in analyzers", docs/integrity.md).
 *
 * reconcile_case joins the CloudTrail Bedrock runtime calls (eventSource
 * bedrock.amazonaws.com, eventName InvokeModel, InvokeModelWithResponseStream,
 * Converse, ConverseStream) with the invocation-log records:
 *   - strong match: CloudTrail requestID = invocation-log requestId;
 *   - weak match (fallback): same principal, same model (equal, or one an ARN
 *     ending in "/<the other>"), times within RECONCILE_WEAK_US, each record
 *     used once, nearest first.
 * CloudTrail calls left unmatched (those without errorCode: a refused call
 * never reaches the model and is not logged) are grouped per account/region
 * into windows (consecutive calls less than RECONCILE_JOIN_US apart): the
 * signature of invocation logging switched off, misconfigured or deleted.
 * Invocation records without a CloudTrail call are grouped the same way, but
 * only inside the time CloudTrail covers for that account/region.
 * Coverage gaps: per account/region and source, stretches of at least
 * RECONCILE_GAP_MIN_US with no record at all, reported when the same hours of
 * the other days of the case had records (see docs/integrity.md for the
 * rule), or when they are a whole day long.
 *
 * Events are read only through headers-only replays (store/replay.h): one
 * pass over the case, plus a replay of the two hours around each stretch
 * that may be a gap, and in reconcile_add_to_report one over the span of the
 * record windows.
 * Memory: the join streams (analyzers/audit/recjoin.h): it holds the calls
 * and records of the last RECONCILE_HORIZON_US + 2 RECONCILE_WEAK_US of
 * event time, at most RECONCILE_MAX_PENDING of them (about 220 bytes each
 * with their request-id key: 58 MiB at the cap; 1,588 held at most on the
 * generated 100 MB corpus). The horizon is the largest time between a call
 * and its record that still matches by request id: on the demo and the
 * generated corpora they carry the same time (0 s measured, `-vv` logs it);
 * in AWS the CloudTrail eventTime is when the request came and the
 * invocation log's timestamp near when it ended, so a long streaming call
 * puts them minutes apart: 15 min leaves a wide margin. Items the cap lets
 * go early and counterparts found after the horizon are counted and warned
 * about (they are reported unmatched). Besides: the unmatched calls and
 * records (about 110 bytes each), the calls that switch a source off (32
 * bytes each), per account/region two matched counts, the windows, the
 * distinct principal/account/region/model strings of the calls and records,
 * and for gaps an hourly count per series (at most 1000 (source, account,
 * region) series; 4 bytes per hour of the case's span each). The read-back
 * of the report's records uses a TEMP table (store/recq.h).
 *
 * Ownership: reconcile_result is opaque; the caller frees it
 * (reconcile_result_free(NULL) is a no-op). Strings live in the result.
 * Failures: LT_EFATAL for SQL errors or out of memory.
 */
#ifndef LLMTRAIL_ANALYZERS_RECONCILE_H
#define LLMTRAIL_ANALYZERS_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/audit/builtin_rules.h"
#include "common/buf.h"
#include "common/error.h"
#include "model/report.h"
#include "store/case.h"

#define RECONCILE_WEAK_US (5LL * 1000000LL)          /* weak-match time tolerance */
#define RECONCILE_JOIN_US (30LL * 60 * 1000000LL)    /* unmatched calls closer than this share a window */
#define RECONCILE_GAP_MIN_US (3600LL * 1000000LL)    /* shortest coverage gap considered */
#define RECONCILE_GAP_EXPECTED 0.6                   /* share of other days active in those hours */
#define RECONCILE_GAP_POISSON 10.0                   /* records the hours around a gap must predict in it */
#define RECONCILE_GAP_DAYS 40                        /* other days asked, each side of a gap's hours */
#define RECONCILE_CAUSE_US (10LL * 60 * 1000000LL)   /* a switch-off call this close to a gap's start explains it */
#define RECONCILE_WINDOW_HIGH 3                      /* unmatched calls that make a window high severity */
#define RECONCILE_HORIZON_US (15LL * 60 * 1000000LL) /* the join's horizon: a call and its record this far apart still match */
#define RECONCILE_MAX_PENDING 262144                 /* most calls/records the join holds at once */

typedef struct reconcile_options {
	/* Time the CloudTrail evidence claims to cover (e.g. the digests' span
	 * from verify_get_summary); INT64_MIN/INT64_MAX = the events' own span. */
	int64_t claimed_from_us, claimed_until_us;
} reconcile_options;

void reconcile_options_init(reconcile_options *o);

typedef enum reconcile_kind {
	RECONCILE_CT_ONLY = 0,  /* CloudTrail calls without invocation-log record */
	RECONCILE_INV_ONLY = 1, /* invocation records without CloudTrail call */
	RECONCILE_GAP_CT = 2,   /* no CloudTrail record at all */
	RECONCILE_GAP_INV = 3   /* no invocation-log record at all */
} reconcile_kind;

typedef struct reconcile_window {
	reconcile_kind kind;
	const char *account, *region;
	int64_t first_us, last_us; /* unmatched records' span; for gaps, the silent span */
	size_t count;              /* unmatched records (0 for gaps) */
	size_t matched;            /* matched calls inside the span (context: "24 of 30") */
	size_t predicted;          /* gaps: records the quieter neighbouring hour's rate predicts */
	double expected;           /* gaps: share of other days with records in those hours (-1 unknown) */
	const char *cause;         /* gaps: the call that explains it ("StopLogging at ..."); CloudTrail-only windows: the logging deletion in effect; or "" */
	bool not_yet_on;           /* CloudTrail-only windows: before invocation logging was on (no record
	                              of the account/region before it; none at all, or configured right after) */
	const int64_t *ids;        /* the unmatched records (count of them), by their 1-based ordinal in
	                              the case's replay order; in time order (ties: order stored) */
} reconcile_window;

typedef struct reconcile_summary {
	size_t ct_calls;          /* CloudTrail runtime calls */
	size_t ct_calls_error;    /* ... with errorCode */
	size_t inv_records;       /* invocation-log records */
	size_t matched_request;   /* strong matches */
	size_t matched_weak;      /* weak matches */
	size_t ct_only;           /* calls without errorCode and without record */
	size_t ct_only_error;     /* calls with errorCode and without record (expected) */
	size_t inv_only;          /* records without call, inside CloudTrail coverage */
	size_t inv_only_uncovered;/* records without call, outside it */
	size_t gaps;
} reconcile_summary;

typedef struct reconcile_result reconcile_result;

/* o may be NULL (defaults). */
lt_status reconcile_case(case_db *c, const reconcile_options *o, reconcile_result **out, lt_error *err) LT_WUR;
void reconcile_result_free(reconcile_result *r);

const reconcile_summary *reconcile_get_summary(const reconcile_result *r);
size_t reconcile_nwindows(const reconcile_result *r);
const reconcile_window *reconcile_window_at(const reconcile_result *r, size_t i);
/* True when both sources are present (else reconciliation does not apply). */
int reconcile_applicable(const reconcile_result *r);

/* One builtin finding per window (llmtrail-reconcile-* rules; for record
 * windows every unmatched record is an event of the finding, read back from
 * the case for its provenance) and a summary table for the dashboard. */
lt_status reconcile_add_to_report(const reconcile_result *r, case_db *c, report *rep, lt_error *err) LT_WUR;

/* The builtin rules of the record windows (for `llmtrail sql`, which writes
 * the same join for engines that run where the logs lie, sigma_sql.h):
 * calls without record in a window of RECONCILE_WINDOW_HIGH or more, fewer,
 * and records without call. */
typedef enum reconcile_rule_kind {
	RECONCILE_RULE_LOGGING_GAP = 0,
	RECONCILE_RULE_CT_ONLY = 1,
	RECONCILE_RULE_INV_ONLY = 2
} reconcile_rule_kind;
const builtin_rule *reconcile_rule_def(reconcile_rule_kind k);

/* Plain text or JSON summary + windows ("table" or "json"). */
lt_status reconcile_write(const reconcile_result *r, const char *format, buf *out) LT_WUR;

#endif

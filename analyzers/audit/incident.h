/*
 * incident.h — findings grouped into incidents: who did what, with which
 * key, from where, when, through which stages, at what cost, and what to do
 * next (docs/incidents.md).
 *
 * Three parts, used in this order by the scan (pipeline/scanrun.c):
 *   - incident_prices: the per-model price table, data shipped under
 *     rules/prices/ (a versioned, dated TSV), loaded once;
 *   - incident_join: fed every replayed event in time order, it gives an
 *     invocation-log record the caller (source IP, user agent, access key)
 *     of the CloudTrail call with the same request id, so that findings on
 *     invocation records carry who called;
 *   - incident_build: after every finding is in the report, assesses each
 *     finding (confidence and the reason for its level), clusters findings
 *     sharing a discriminating entity (access key, principal, source IP, user
 *     agent) within INCIDENT_GAP_US of each other (union-find), scores and
 *     ranks the clusters and adds them to the report (report_add_incident).
 *     With a baseline (analyzers/baseline.h, fed every event by the scan),
 *     an incident with a behaviour finding (medium or above, not only
 *     novelty) whose actor (principal or access key) acted at an hour AND
 *     from a source IP or user agent both rare or unseen for it ranks
 *     higher among incidents of its level (x1.5 to the rank, not the risk:
 *     the level never changes), and its reason says so.
 *
 * Bounds: the join remembers the CloudTrail Bedrock calls of the last
 * 2 x INCIDENT_JOIN_HORIZON_US, at most INCIDENT_JOIN_CAP per generation, and
 * at most INCIDENT_JOIN_LATE_CAP callers of records whose call came later;
 * the builder keeps at most INCIDENT_MAX_ENTITIES distinct entities and
 * INCIDENT_MAX_LINKS (entity, finding) pairs (the rest do not link) and lists
 * at most INCIDENT_MAX_INCIDENTS incidents (the lowest-risk rest are counted
 * in a report problem); per incident at most INCIDENT_MAX_LIST values of each
 * actor list and INCIDENT_MAX_UIDS event uids.
 *
 * Ownership: _new/_load results are freed by the matching _free (NULL is a
 * no-op). Strings the join hands out live until incident_join_free.
 * Failures: LT_EFATAL out of memory; incident_prices_load LT_EFILE when the
 * table cannot be read, LT_EITEM (err names file and line) for a bad row.
 */
#ifndef LLMTRAIL_ANALYZERS_INCIDENT_H
#define LLMTRAIL_ANALYZERS_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "analyzers/audit/baseline.h"
#include "model/report.h"

#define INCIDENT_GAP_US (2LL * 3600 * 1000000LL)          /* findings closer than this can join */
#define INCIDENT_MINOR_GAP_US (30LL * 60 * 1000000LL)     /* ... when one of them is low or informational */
#define INCIDENT_CAUSE_US (10LL * 60 * 1000000LL)          /* a switch-off this close before a silence explains it */
#define INCIDENT_JOIN_HORIZON_US (15LL * 60 * 1000000LL)  /* call <-> record time difference joined */
#define INCIDENT_JOIN_CAP 1000000                         /* calls remembered per generation */
#define INCIDENT_JOIN_LATE_CAP 200000                     /* callers kept for records seen first */
#define INCIDENT_MAX_ENTITIES 200000
#define INCIDENT_MAX_LINKS 2000000
#define INCIDENT_MAX_INCIDENTS 1000
#define INCIDENT_MAX_LIST 16
#define INCIDENT_MAX_UIDS 500
#define INCIDENT_ROUTINE_MIN 3       /* findings of one rule and group that make it routine */
#define INCIDENT_MAX_RECURRING 100000 /* (rule, actor) sets of low findings merged as recurring */
#define INCIDENT_COMMON_PRINCIPALS 4 /* an IP / user agent seen with this many principals links nothing */
#define INCIDENT_COMMON_SHARE 0.2    /* an IP with this share of the case's events links nothing */
/* Incident level from risk (a finding scores level weight 0.2/1/3/8/20 x
 * confidence x stage weight): one confident high finding is high, one
 * medium finding of a test rule is medium. */
#define INCIDENT_RISK_HIGH 4.8
#define INCIDENT_RISK_MEDIUM 1.8
#define INCIDENT_RISK_LOW 0.5
#define INCIDENT_MINOR_CAP 1.0 /* low and informational findings beyond the best add at most this (one low finding) */

/* ---- prices ------------------------------------------------------------- */

typedef struct incident_prices incident_prices;

/* Reads a price table: '#' comment lines (the "# version:", "# date:" and
 * "# source:" ones are kept), then rows "model-id<TAB>input USD per 1M
 * tokens<TAB>output USD per 1M tokens". */
lt_status incident_prices_load(const char *path, incident_prices **out, lt_error *err) LT_WUR;
void incident_prices_free(incident_prices *p);
/* "bedrock-prices.tsv version 2026-11 (2026-11-30)"; "" for NULL. */
const char *incident_prices_label(const incident_prices *p);
/* Prices of a model id as logged: a plain id, a regional inference profile
 * ("us.<id>") or an ARN ending in either. false when not in the table. */
bool incident_prices_find(const incident_prices *p, rpt_str model, double *in_per_mtok,
                          double *out_per_mtok);

/* ---- request-id join ---------------------------------------------------- */

typedef struct incident_join incident_join;

incident_join *incident_join_new(void) LT_WUR;
void incident_join_free(incident_join *j);
/* ev in replay (time) order. A CloudTrail Bedrock call with a request id is
 * remembered; an invocation record (source "invocation") whose call was
 * seen gets its caller's source_ip, user_agent and access_key (ev points to
 * the join's copies, valid until the next call) and caller_joined. */
lt_status incident_join_event(incident_join *j, rpt_event_in *ev, lt_error *err) LT_WUR;
/* After the replay: the caller of a record whose call came after it. */
bool incident_join_late(const incident_join *j, rpt_str request_id, rpt_str *source_ip,
                        rpt_str *user_agent, rpt_str *access_key);
/* Records given a caller, and records left without one. */
void incident_join_counts(const incident_join *j, uint64_t *joined, uint64_t *unjoined);

/* ---- incidents ---------------------------------------------------------- */

typedef struct incident_options {
	int64_t gap_us;                 /* 0: INCIDENT_GAP_US */
	const incident_prices *prices;  /* may be NULL: no cost */
	const incident_join *join;      /* may be NULL */
	const baseline *baseline;       /* may be NULL: no baseline ranking */
} incident_options;

/* Assesses every finding and adds the incidents, in rank order. */
lt_status incident_build(report *r, const incident_options *o, lt_error *err) LT_WUR;

/* The stage (tactic name) a rule tag names, or NULL: "attack.discovery" ->
 * "discovery", "attack.t1496.004" -> "resource hijacking", ATLAS technique
 * tags by their tactic. Exposed for tests. */
const char *incident_stage_of_tag(rpt_str tag);

#endif

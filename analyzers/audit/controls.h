/*
 * controls.h — evaluates a policy's compliance controls (policy.h) over a
 * scan: the events the scan replays, the digest verification and
 * reconciliation results, and at the end the findings and incidents of the
 * report. Method and the meaning of each result in docs/controls.md.
 *
 * Use: controls_new(policy); controls_add for each replayed event (time
 * order, as the scan's replay gives them); controls_note_integrity once the
 * verification and reconciliation ran (it copies what it needs, the results
 * may be freed afterwards); controls_add_to_report after the findings and
 * incidents are in the report: one rpt_control per policy control, in
 * policy order.
 *
 * Invocations are the invocation-log records and the CloudTrail runtime
 * calls (InvokeModel, InvokeModelWithResponseStream, Converse,
 * ConverseStream of bedrock.amazonaws.com) without errorCode. Each control
 * tallies both sources apart and judges on the one that shows what it is
 * about (docs/controls.md: the credential on CloudTrail, the model, region,
 * principal and tokens on the invocation log), taking the other when the
 * case lacks the first; the guardrail of an InvokeModel call is read from
 * CloudTrail, that of a Converse call from the invocation log.
 *
 * A pass over a case with evidence problems (report_nproblems_serious: a
 * file or member not read) is reported as not evaluable, with the count.
 *
 * Memory: per control RPT_CONTROL_EXAMPLES example lines and a per-day
 * violation count (at most CONTROLS_MAX_DAYS days); per budget control a
 * (UTC day, principal) table of at most CONTROLS_MAX_BUDGET_KEYS entries
 * (past it the control is not evaluable, and says so).
 *
 * Ownership: controls is opaque (controls_free(NULL) is a no-op); the policy
 * is borrowed and must outlive it.
 * Failures: LT_EFATAL out of memory.
 */
#ifndef LLMTRAIL_ANALYZERS_CONTROLS_H
#define LLMTRAIL_ANALYZERS_CONTROLS_H

#include "analyzers/audit/policy.h"
#include "analyzers/audit/reconcile.h"
#include "analyzers/audit/verify.h"
#include "common/error.h"
#include "ingest/event.h"
#include "model/report.h"

#define CONTROLS_MAX_DAYS 36600           /* days tallied per control for the worst day */
#define CONTROLS_MAX_BUDGET_KEYS 100000   /* (day, principal) pairs per budget control */
#define CONTROLS_EXAMPLE_MAX 400          /* bytes of one example line */

typedef struct controls controls;

controls *controls_new(const policy *p) LT_WUR;
void controls_free(controls *c);

lt_status controls_add(controls *c, const event *ev, lt_error *err) LT_WUR;
/* True when controls_add needs ev's parsed record (ev->doc), not only its
 * header: an invocation, when a control reads the request (the guardrail)
 * or userIdentity.type (root). c may be NULL (false). Reads only what
 * controls_new fixed, so any thread may call it. */
bool controls_wants_record(const controls *c, const event *ev);
/* v or rr may be NULL (that evidence was not examined). */
lt_status controls_note_integrity(controls *c, const verify_result *v, const reconcile_result *rr,
                                  lt_error *err) LT_WUR;
lt_status controls_add_to_report(controls *c, report *r, lt_error *err) LT_WUR;

#endif

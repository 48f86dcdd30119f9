/*
 * period.h — the period each account and region covers, and its gaps: what
 * an auditor asks first ("which hours does this evidence cover, and where
 * is it silent?").
 *
 * Fed every replayed event (time order; headers only), it keeps per
 * (account, region): the first and last event, events per source, the UTC
 * hours with a CloudTrail Bedrock runtime call (InvokeModel*, Converse*,
 * without errorCode: a call that reached a model, period_runtime_call), the
 * UTC hours with an invocation-log record, and the UTC days with any
 * CloudTrail event. Its gaps: **silent hours**, hours with runtime calls in
 * CloudTrail and no invocation-log record (invocation logging off, or its
 * records missing), and **dark days**, days between the first and the last
 * event with no CloudTrail event at all (the trail off, or its files
 * missing). period_add_to_report adds one rpt_period per account/region
 * (the first PERIOD_LIST of each gap spelled out, the rest counted); the
 * HTML and Markdown show them as "Period covered".
 *
 * Limits: PERIOD_MAX_KEYS account/region pairs (events of more are counted
 * under account "(other)"), PERIOD_MAX_UNITS hours or days per list and key
 * (past it the key's lists stop growing and its gaps are not counted: the
 * report says "not counted"). Memory: 4 bytes per hour and day noted.
 * Ownership: period_new returns a tracker freed by period_free (NULL: no-op).
 * Errors: LT_EFATAL out of memory.
 */
#ifndef LLMTRAIL_ANALYZERS_AUDIT_PERIOD_H
#define LLMTRAIL_ANALYZERS_AUDIT_PERIOD_H

#include <stdbool.h>

#include "common/error.h"
#include "ingest/event.h"
#include "model/report.h"

#define PERIOD_MAX_KEYS 1024
#define PERIOD_MAX_UNITS 500000
#define PERIOD_LIST 12

typedef struct period period;

period *period_new(void) LT_WUR;
void period_free(period *p);

/* True for a CloudTrail Bedrock runtime call that reached a model. */
bool period_runtime_call(const event *ev);

lt_status period_add(period *p, const event *ev, lt_error *err) LT_WUR;
lt_status period_add_to_report(period *p, report *r, lt_error *err) LT_WUR;

#endif

/*
 * metrics_report.h — usage metrics out: the report's usage dashboard and
 * anomaly findings, and the text/CSV/JSON of `llmtrail stats`.
 *
 * Reads a finished metrics (metrics.h) through its accessors only.
 * Dashboard (report_add_table / report_add_chart): usage by model with
 * latency percentiles (+ chart), invocations and tokens per day by model
 * (stacked bars; the top MREPORT_TOP_MODELS models, the rest as "(other)"),
 * requests by input-token size, input vs output tokens per principal (a
 * scatter plot, log axes when the values span decades), errors
 * and throttles over time (per hour up to 3 days, else per day), errors by
 * code, guardrail interventions by policy type, CloudTrail Bedrock calls by
 * action, usage by account/region, anomalies. Each anomaly is a finding of
 * a builtin rule (llmtrail-anomaly-*, llmtrail-first-seen-*).
 *
 * Every string from evidence is copied into the report unescaped (writers
 * escape); stats output escapes for its sink: CSV per RFC 4180 with a leading
 * apostrophe for formula-like cells, JSON strings via json_write_string,
 * table cells with control bytes as \xNN.
 * Failures: LT_EFATAL out of memory; report errors are passed through.
 */
#ifndef LLMTRAIL_ANALYZERS_METRICS_REPORT_H
#define LLMTRAIL_ANALYZERS_METRICS_REPORT_H

#include "analyzers/audit/metrics.h"
#include "common/buf.h"
#include "common/error.h"
#include "model/report.h"

#define MREPORT_TOP_MODELS 5
#define MREPORT_TOP_PRINCIPALS 20
#define MREPORT_MAX_X 168 /* chart points (the most recent are kept) */

lt_status metrics_add_to_report(const metrics *m, report *r, lt_error *err) LT_WUR;

/* `llmtrail stats` output: "table", "csv" (the --by grouping only) or "json". */
lt_status metrics_write(const metrics *m, const char *format, buf *out) LT_WUR;

#endif

/*
 * jsonl.h — findings.jsonl: one finding per line (schema: docs/findings.md,
 * docs/findings.schema.json).
 *
 * Deterministic for the same model: findings in report_findings_order, keys in
 * a fixed order, times as RFC 3339 UTC with microseconds. Strings are escaped
 * per RFC 8259 by json_write_string (invalid UTF-8 becomes U+FFFD; every
 * other character round-trips).
 *
 * Returns LT_OK, or LT_EFILE when writing failed (err says so); out stays
 * open and owned by the caller.
 */
#ifndef LLMTRAIL_REPORTS_JSONL_H
#define LLMTRAIL_REPORTS_JSONL_H

#include <stdio.h>

#include "common/error.h"
#include "model/report.h"

lt_status report_write_jsonl(const report *r, FILE *out, lt_error *err) LT_WUR;

/* incidents.jsonl: one incident per line in rank order (schema:
 * docs/incidents.schema.json, docs/incidents.md); an empty file when the
 * report has none. */
lt_status report_write_incidents_jsonl(const report *r, FILE *out, lt_error *err) LT_WUR;

#endif

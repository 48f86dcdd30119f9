/*
 * copies.h — conflicting copies of an event as integrity findings
 * (docs/integrity.md "Conflicting copies").
 *
 * `index` keeps every copy of an event whose id (CloudTrail eventID,
 * invocation requestId) and time repeat with other content, and records it
 * (store/evdup.h). copies_add_to_report turns each recorded conflict into an
 * integrity row and a finding of the builtin pack naming both locations:
 * `llmtrail-integrity-conflicting-copy` (high) when a differing field touches
 * identity, action, parameters or outcome, else
 * `llmtrail-integrity-conflicting-copy-metadata` (medium). Both rules are
 * always registered, so a clean case reports them as passed.
 *
 * Failures: LT_EFATAL (SQL error, out of memory).
 */
#ifndef LLMTRAIL_ANALYZERS_COPIES_H
#define LLMTRAIL_ANALYZERS_COPIES_H

#include "common/error.h"
#include "model/report.h"
#include "store/case.h"

lt_status copies_add_to_report(case_db *c, report *r, lt_error *err) LT_WUR;

#endif

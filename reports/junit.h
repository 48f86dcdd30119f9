/*
 * junit.h — JUnit XML for CI (Jenkins, GitLab, GitHub), valid against the
 * Apache Ant schema in ../shared/conformance/junit/JUnit.xsd.
 *
 * <testsuites> holds one <testsuite> per rule pack (packs in name order),
 * then "evidence" and "integrity". Per rule, one <testcase>:
 *   classname "llmtrail.rules.PACK", name "RULE-ID: TITLE" (made unique);
 *   fired at or above fail_on  -> <failure type=LEVEL message="N findings: ...">
 *                                 with a readable body (findings, events, provenance);
 *   not applicable / unsupported -> <skipped message=REASON/>;
 *   failed (load or run error)   -> <error type="rule error" message=REASON>;
 *   otherwise (passed, or fired below fail_on) passing; the latter are
 *   listed in the suite's <system-out>.
 * The evidence suite has one testcase per evidence file or member (failure
 * when it has problems); the integrity suite one per check (invalid:
 * failure, unverifiable: skipped). Properties: tool version, rule-pack
 * SHA-256s (pack suites), evidence SHA-256s (evidence suite).
 *
 * Everything is XML-escaped with rtext_xml; characters illegal in XML 1.0
 * are shown as visible escapes. hostname is "localhost" and every time is
 * the run's (SOURCE_DATE_EPOCH), so the file is deterministic.
 * Returns LT_OK, LT_EFATAL out of memory, or LT_EFILE when writing failed.
 */
#ifndef LLMTRAIL_REPORTS_JUNIT_H
#define LLMTRAIL_REPORTS_JUNIT_H

#include <stdio.h>

#include "common/error.h"
#include "model/report.h"

#define JUNIT_MAX_FINDINGS_BODY 50 /* findings detailed in one failure body */
#define JUNIT_MAX_EVENTS_BODY 5    /* events detailed per finding */

lt_status report_write_junit(const report *r, FILE *out, lt_error *err) LT_WUR;

#endif

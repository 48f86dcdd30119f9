/*
 * html.h — the HTML report: one self-contained file for responders and
 * auditors, readable on screen and on paper.
 *
 * Safe by construction: no <script> and no event-handler attribute is ever
 * written; a Content-Security-Policy meta (default-src 'none'; style-src
 * 'unsafe-inline'; img-src data:) forbids any fetch and any script anyway;
 * charts are inline SVG (svg.h); every string from the model goes through
 * rtext_html (element text) or rtext_html_attr (attribute values) and never
 * becomes markup; invisible and bidi characters are shown as visible escapes.
 *
 * Sections: summary (verdict, time range, evidence, counts by source and
 * level, top principals and IPs), timeline, findings (by level, then rule;
 * each with description, tags, group, times, events with the match in
 * <mark>, provenance), usage dashboard and integrity (when present),
 * evidence & custody, rules, problems. Integrity and custody are summaries
 * (counts per check and status, per format; invalid checks, unverifiable
 * reasons and members with problems in full) linking integrity.csv and
 * custody.csv (reports/listcsv.h), the only links out of the page. Bounded for large cases: at most
 * HTML_MAX_FINDINGS_PER_RULE findings detailed per rule (a compact table
 * lists up to HTML_MAX_FINDING_ROWS more), HTML_MAX_EVENTS events per
 * finding, HTML_MAX_ROWS rows per table; what is cut is counted on the page.
 *
 * Deterministic for the same model. Returns LT_OK, LT_EFATAL out of memory,
 * or LT_EFILE when writing failed.
 */
#ifndef LLMTRAIL_REPORTS_HTML_H
#define LLMTRAIL_REPORTS_HTML_H

#include <stdio.h>

#include "common/error.h"
#include "model/report.h"

#define HTML_MAX_FINDINGS_PER_RULE 20
#define HTML_MAX_FINDING_ROWS 200
#define HTML_MAX_RULE_BLOCKS 500 /* rules with a block; the rest only in the by-rule table */
#define HTML_OPEN_RULES 5        /* rule blocks shown expanded (the worst first) */
#define HTML_OPEN_INDEX 100      /* the by-rule table starts expanded up to this many rules */
#define HTML_MAX_PAGE_BYTES ((size_t)6 << 20) /* what tests hold the page to with 10,000+ findings */
#define HTML_MAX_EVENTS 10
#define HTML_MAX_ROWS 5000
#define HTML_OPEN_FINDINGS 3 /* findings per rule shown expanded */

/* The Content-Security-Policy the report carries (tests check it). */
#define HTML_CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " \
                 "base-uri 'none'; form-action 'none'"

lt_status report_write_html(const report *r, FILE *out, lt_error *err) LT_WUR;

#endif

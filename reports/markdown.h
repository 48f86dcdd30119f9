/*
 * markdown.h — summary.md: a short, link-free Markdown summary for CI job
 * pages (GitHub step summary, GitLab, Jenkins): verdict, counts, top findings.
 *
 * Every string from evidence or rule files is escaped with rtext_md, so
 * nothing in it can become a link, an image (no exfiltration through an image
 * URL), an autolink, HTML or a table-cell break. Deterministic for the same
 * model. Returns LT_OK, or LT_EFILE when writing failed.
 */
#ifndef LLMTRAIL_REPORTS_MARKDOWN_H
#define LLMTRAIL_REPORTS_MARKDOWN_H

#include <stdio.h>

#include "common/error.h"
#include "model/report.h"

#define MD_TOP_INCIDENTS 10 /* incidents listed, highest risk first */
#define MD_TOP_FINDINGS 20

lt_status report_write_markdown(const report *r, FILE *out, lt_error *err) LT_WUR;

#endif

/*
 * listcsv.h — the full lists behind the HTML report's summaries:
 * integrity.csv (one row per integrity check) and custody.csv (one row per
 * evidence file and archive member), written beside report.html.
 *
 * The HTML shows these lists as counts per kind plus the rows that need a
 * reader's attention (html.c); every row is here, for a spreadsheet or a
 * tool, and the manifest that --sign writes covers both files.
 *
 * Columns (RFC 4180, CRLF line ends, header first):
 *   integrity.csv: object, check, status, detail
 *     status is "valid", "invalid" or "unverifiable" (rpt_check_name).
 *   custody.csv: evidence, member, format, bytes, sha256,
 *     sha256_decompressed, events, duplicates, problems
 * Rows in the report's order (the custody's and the checks' own order).
 * Every text cell goes through lt_csv_cell (formula neutralisation, control
 * characters shown as escapes): the values come from the evidence.
 *
 * Both have the report_writer shape. LT_OK, LT_EFATAL out of memory,
 * LT_EFILE when writing failed (the file named).
 */
#ifndef LLMTRAIL_REPORTS_LISTCSV_H
#define LLMTRAIL_REPORTS_LISTCSV_H

#include <stdio.h>

#include "common/error.h"
#include "model/report.h"

#define LISTCSV_INTEGRITY "integrity.csv"
#define LISTCSV_CUSTODY "custody.csv"

lt_status report_write_integrity_csv(const report *r, FILE *out, lt_error *err) LT_WUR;
lt_status report_write_custody_csv(const report *r, FILE *out, lt_error *err) LT_WUR;

#endif

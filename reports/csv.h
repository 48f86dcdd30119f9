/*
 * csv.h — timeline.csv, written as a stream: one row per event, in the order
 * the caller replays them (the case index's time order).
 *
 * Columns (RFC 4180, CRLF line ends, header first):
 *   datetime, timestamp, timestamp_desc, message, source, uid, request_id,
 *   action, service, principal, access_key, account, region, source_ip,
 *   user_agent, model, error_code, guardrail_action, credential, input_tokens,
 *   output_tokens, latency_ms, evidence, member, line, rules, rule_ids
 * datetime/timestamp/timestamp_desc/message are what Timesketch's CSV import
 * requires (timestamp in microseconds); Timeline Explorer reads any CSV.
 * "rules" names the rules that hit the event, ';'-joined, each as
 * "title (level)" (what a person reading the timeline needs); "rule_ids"
 * the same rules' ids, in the same order (what a tool joins on).
 * A report's timeline.csv holds the events that some finding or incident
 * references (report_csv_row_hit), not every event of the case: that is
 * `llmtrail timeline --format csv` (or `--full-timeline`), written by this
 * same writer in the same layout (its rules columns are empty: timeline
 * reads the case, not a scan's findings).
 * Every text cell goes through rtext_csv (formula neutralisation).
 *
 * Nothing is buffered beyond one row: a timeline of any length streams. A
 * row can also be made in two steps: report_csv_head formats the cells before
 * the rules column (scan does it during its replay and spools the text), and
 * report_csv_row_head writes that text with the rules column once the rules
 * are known.
 * Ownership: report_csv_begin returns a writer the caller ends with
 * report_csv_end (which frees it, also on failure; NULL is a no-op). out
 * stays open and owned by the caller.
 */
#ifndef LLMTRAIL_REPORTS_CSV_H
#define LLMTRAIL_REPORTS_CSV_H

#include <stdbool.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/error.h"
#include "ingest/event.h"
#include "model/report.h"

typedef struct report_csv report_csv;

/* The row's fields of a replayed event: its header and provenance, borrowed
 * from ev (valid while ev is). seq stays 0: only the scan's own replay sets
 * it (hits on an event with a seq are kept by it; an event of another replay
 * has a seq that means nothing in the timeline). */
void report_csv_event(const event *ev, rpt_event_in *out);

/* Writes the header. NULL out of memory (err set). */
report_csv *report_csv_begin(FILE *out, lt_error *err) LT_WUR;

/* One event; rule_ids may be NULL when nrules is 0. LT_EFILE if writing failed. */
lt_status report_csv_row(report_csv *c, const rpt_event_in *ev, const rpt_str *rule_ids,
                         size_t nrules, lt_error *err) LT_WUR;

/* One event, its rules looked up in the report's findings
 * (report_event_rules: rows in ascending ev->seq). */
lt_status report_csv_row_from(report_csv *c, report *r, const rpt_event_in *ev,
                              lt_error *err) LT_WUR;

/* Appends the cells of ev's row before the rules column, through the comma
 * that ends "line", to out. LT_EFATAL out of memory. */
lt_status report_csv_head(buf *out, const rpt_event_in *ev) LT_WUR;

/* ev's row when a rule hit it (or always, with every), its rules looked up
 * as report_csv_row_from does; nothing otherwise. */
lt_status report_csv_row_hit(report_csv *c, report *r, const rpt_event_in *ev, bool every,
                             lt_error *err) LT_WUR;

/* One row: head (from report_csv_head) and the rules column of ev, looked up
 * as report_csv_row_from does (ev needs only seq, source and uid). */
lt_status report_csv_row_head(report_csv *c, report *r, const rpt_event_in *ev, const char *head,
                              size_t n, lt_error *err) LT_WUR;

/* Flushes, checks for write errors, frees c. LT_OK or LT_EFILE. */
lt_status report_csv_end(report_csv *c, lt_error *err) LT_WUR;

#endif

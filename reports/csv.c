/*
 * csv.c — the streaming timeline.csv writer (see csv.h).
 *
 * Each row is written straight to the FILE*; the writer keeps only a row
 * counter and the first write error. The "message" column is composed from
 * header fields ("ACTION by PRINCIPAL from IP on MODEL") into a bounded
 * buffer and escaped like every other cell, so no cell can start a formula
 * (OWASP CSV injection) or break the row structure (RFC 4180 quoting).
 */
#include "reports/csv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ltime.h"
#include "reports/rtext.h"

#define CSV_MESSAGE_MAX 4096
#define CSV_MAX_RULES 64

struct report_csv {
	FILE *out;
	uint64_t rows;
};

static const char header[] =
	"datetime,timestamp,timestamp_desc,message,source,uid,request_id,action,service,"
	"principal,access_key,account,region,source_ip,user_agent,model,error_code,"
	"guardrail_action,input_tokens,output_tokens,latency_ms,evidence,member,line,rules\r\n";

report_csv *report_csv_begin(FILE *out, lt_error *err)
{
	report_csv *c = calloc(1, sizeof *c);
	if (c == NULL) {
		lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
		return NULL;
	}
	c->out = out;
	fputs(header, out);
	return c;
}

static void cell(FILE *out, rpt_str s)
{
	rtext_csv(out, s.p, s.n);
	fputc(',', out);
}

static void num(FILE *out, int64_t v)
{
	if (v >= 0)
		fprintf(out, "%" PRId64, v);
	fputc(',', out);
}

static bool str_eq(rpt_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static const char *timestamp_desc(const rpt_event_in *ev)
{
	if (str_eq(ev->source, "cloudtrail"))
		return "Event Time";
	if (str_eq(ev->source, "invocation"))
		return "Invocation Time";
	return "Event Time";
}

/* "ACTION by PRINCIPAL from IP on MODEL" (parts omitted when absent). */
static void message(buf *m, const rpt_event_in *ev)
{
	struct {
		const char *prefix;
		rpt_str s;
	} parts[] = {{"", ev->action}, {" by ", ev->principal}, {" from ", ev->source_ip},
	             {" on ", ev->model}, {" error ", ev->error_code}};
	lt_status st = LT_OK;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (parts[i].s.n == 0)
			continue;
		if (m->len)
			st = buf_puts(m, parts[i].prefix);
		if (st == LT_OK)
			st = buf_append(m, parts[i].s.p, parts[i].s.n);
		if (st != LT_OK)
			break; /* past the cap: the message is cut, the row is still written */
	}
	if (m->len == 0 && buf_puts(m, "(event)") != LT_OK)
		return; /* out of memory: an empty message */
}

lt_status report_csv_row(report_csv *c, const rpt_event_in *ev, const rpt_str *rule_ids,
                         size_t nrules, lt_error *err)
{
	FILE *out = c->out;
	char t[LTIME_BUFSZ] = "";
	if (ev->time_us != INT64_MIN)
		ltime_format(ev->time_us, 6, t);
	fprintf(out, "%s,", t);
	if (ev->time_us != INT64_MIN)
		fprintf(out, "%" PRId64, ev->time_us);
	fprintf(out, ",%s,", timestamp_desc(ev));
	buf m;
	buf_init(&m, CSV_MESSAGE_MAX);
	message(&m, ev);
	cell(out, rpt_sn(m.data, m.len));
	buf_free(&m);
	const rpt_str cols[] = {ev->source, ev->uid, ev->request_id, ev->action, ev->service,
	                        ev->principal, ev->access_key, ev->account, ev->region,
	                        ev->source_ip, ev->user_agent, ev->model, ev->error_code,
	                        ev->guardrail_action};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		cell(out, cols[i]);
	num(out, ev->input_tokens);
	num(out, ev->output_tokens);
	num(out, ev->latency_ms);
	cell(out, ev->evidence);
	cell(out, ev->member);
	if (ev->line)
		fprintf(out, "%" PRIu64, ev->line);
	fputc(',', out);
	buf ids;
	buf_init(&ids, 0);
	lt_status st = LT_OK;
	for (size_t i = 0; i < nrules && st == LT_OK; i++) {
		if (i)
			st = buf_putc(&ids, ';');
		if (st == LT_OK && rule_ids[i].n)
			st = buf_append(&ids, rule_ids[i].p, rule_ids[i].n);
	}
	rtext_csv(out, ids.data, ids.len);
	buf_free(&ids);
	fputs("\r\n", out);
	c->rows++;
	if (st != LT_OK)
		return lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
	if (ferror(out))
		return lt_error_set(err, LT_EFILE, "timeline.csv: write failed");
	return LT_OK;
}

lt_status report_csv_row_from(report_csv *c, const report *r, const rpt_event_in *ev,
                              lt_error *err)
{
	size_t idx[CSV_MAX_RULES];
	size_t n = report_event_rules(r, ev->source, ev->uid, idx, CSV_MAX_RULES);
	if (n > CSV_MAX_RULES)
		n = CSV_MAX_RULES;
	rpt_str ids[CSV_MAX_RULES];
	for (size_t i = 0; i < n; i++)
		ids[i] = report_rule(r, idx[i])->id;
	return report_csv_row(c, ev, ids, n, err);
}

lt_status report_csv_end(report_csv *c, lt_error *err)
{
	if (c == NULL)
		return LT_OK;
	bool bad = fflush(c->out) != 0 || ferror(c->out);
	free(c);
	if (bad)
		return lt_error_set(err, LT_EFILE, "timeline.csv: write failed");
	return LT_OK;
}

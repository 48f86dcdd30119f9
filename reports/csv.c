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

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ltime.h"
#include "common/textesc.h"
#include "reports/rtext.h"

#define CSV_MESSAGE_MAX 4096
#define CSV_MAX_RULES 64

struct report_csv {
	FILE *out;
	buf row;    /* the row being written */
	buf head;   /* its cells before the rules column */
	buf labels; /* the rules column's names */
	uint64_t rows;
};

static const char header[] =
	"datetime,timestamp,timestamp_desc,message,source,uid,request_id,action,service,"
	"principal,access_key,account,region,source_ip,user_agent,model,error_code,"
	"guardrail_action,credential,input_tokens,output_tokens,latency_ms,evidence,member,line,rules,rule_ids\r\n";

report_csv *report_csv_begin(FILE *out, lt_error *err)
{
	report_csv *c = calloc(1, sizeof *c);
	if (c == NULL) {
		lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
		return NULL;
	}
	c->out = out;
	buf_init(&c->row, 0);
	buf_init(&c->head, 0);
	buf_init(&c->labels, 0);
	fputs(header, out);
	return c;
}

static lt_status cell(buf *out, rpt_str s)
{
	lt_status st = lt_csv_cell(out, s.p, s.n, 0);
	return st == LT_OK ? buf_putc(out, ',') : st;
}

/* v in decimal (no printf: this runs for every cell of every row). */
static lt_status put_i64(buf *out, int64_t v)
{
	char rev[24];
	size_t n = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		rev[n++] = '-';
	char d[24];
	for (size_t i = 0; i < n; i++)
		d[i] = rev[n - 1 - i];
	return buf_append(out, d, n);
}

/* A count, or nothing when negative (unknown); then the comma. */
static lt_status num(buf *out, int64_t v)
{
	lt_status st = v >= 0 ? put_i64(out, v) : LT_OK;
	return st == LT_OK ? buf_putc(out, ',') : st;
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

/* "ACTION by PRINCIPAL from IP on MODEL" (parts omitted when absent), at
 * most CSV_MESSAGE_MAX bytes, as one cell. */
static lt_status message(buf *out, const rpt_event_in *ev)
{
	struct {
		const char *prefix;
		rpt_str s;
	} parts[] = {{"", ev->action}, {" by ", ev->principal}, {" from ", ev->source_ip},
	             {" on ", ev->model}, {" error ", ev->error_code}};
	char m[CSV_MESSAGE_MAX];
	size_t n = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (parts[i].s.n == 0)
			continue;
		size_t pn = n ? strlen(parts[i].prefix) : 0;
		if (n + pn + parts[i].s.n > sizeof m)
			break; /* past the cap: the message is cut, the row is still written */
		memcpy(m + n, parts[i].prefix, pn);
		memcpy(m + n + pn, parts[i].s.p, parts[i].s.n);
		n += pn + parts[i].s.n;
	}
	if (n == 0) {
		memcpy(m, "(event)", 7);
		n = 7;
	}
	return cell(out, rpt_sn(m, n));
}

static rpt_str str_of(ev_str s)
{
	return rpt_sn(s.p, s.n);
}

void report_csv_event(const event *ev, rpt_event_in *out)
{
	rpt_event_init(out);
	out->time_us = ev->time_us;
	out->source = rpt_s(ev_source_name(ev->source));
	out->uid = str_of(ev->uid);
	out->request_id = str_of(ev->request_id);
	out->action = str_of(ev->action);
	out->service = str_of(ev->service);
	out->principal = str_of(ev->principal);
	out->access_key = str_of(ev->access_key);
	out->bearer_token = (ev->flags & EV_F_BEARER_TOKEN) != 0;
	out->account = str_of(ev->account);
	out->region = str_of(ev->region);
	out->source_ip = str_of(ev->source_ip);
	out->user_agent = str_of(ev->user_agent);
	out->model = str_of(ev->model);
	out->error_code = str_of(ev->error_code);
	out->guardrail_action = str_of(ev->guardrail_action);
	out->input_tokens = ev->input_tokens;
	out->output_tokens = ev->output_tokens;
	out->latency_ms = ev->latency_ms;
	if (ev->prov != NULL) {
		out->evidence = rpt_s(ev->prov->evidence);
		out->member = rpt_s(ev->prov->member);
		out->member_sha256 = rpt_s(ev->prov->sha256);
	}
	out->line = ev->line;
}

lt_status report_csv_head(buf *out, const rpt_event_in *ev)
{
	char t[LTIME_BUFSZ] = "";
	lt_status st = LT_OK;
	if (ev->time_us != INT64_MIN) {
		ltime_format(ev->time_us, 6, t);
		st = buf_puts(out, t);
		if (st == LT_OK)
			st = buf_putc(out, ',');
		if (st == LT_OK)
			st = put_i64(out, ev->time_us);
		if (st == LT_OK)
			st = buf_putc(out, ',');
	} else {
		st = buf_puts(out, ",,");
	}
	if (st == LT_OK)
		st = buf_puts(out, timestamp_desc(ev));
	if (st == LT_OK)
		st = buf_putc(out, ',');
	if (st == LT_OK)
		st = message(out, ev);
	const rpt_str cols[] = {ev->source, ev->uid, ev->request_id, ev->action, ev->service,
	                        ev->principal, ev->access_key, ev->account, ev->region,
	                        ev->source_ip, ev->user_agent, ev->model, ev->error_code,
	                        ev->guardrail_action, rpt_s(ev->bearer_token ? "bedrock-api-key" : "")};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0] && st == LT_OK; i++)
		st = cell(out, cols[i]);
	if (st == LT_OK)
		st = num(out, ev->input_tokens);
	if (st == LT_OK)
		st = num(out, ev->output_tokens);
	if (st == LT_OK)
		st = num(out, ev->latency_ms);
	if (st == LT_OK)
		st = cell(out, ev->evidence);
	if (st == LT_OK)
		st = cell(out, ev->member);
	if (st == LT_OK)
		st = ev->line ? num(out, (int64_t)ev->line) : buf_putc(out, ',');
	return st;
}

/* A ';'-joined list as one cell, then end (',' or the row's CRLF). */
static lt_status list_cell(buf *out, const rpt_str *v, size_t n, const char *end)
{
	buf text;
	buf_init(&text, 0);
	lt_status st = LT_OK;
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		if (i)
			st = buf_putc(&text, ';');
		if (st == LT_OK && v[i].n)
			st = buf_append(&text, v[i].p, v[i].n);
	}
	if (st == LT_OK)
		st = lt_csv_cell(out, text.data, text.len, 0);
	buf_free(&text);
	return st == LT_OK ? buf_puts(out, end) : st;
}

/* labels: the rules column ("title (level)"); ids: rule_ids (NULL: labels). */
static lt_status put_row(report_csv *c, const char *head, size_t n, const rpt_str *labels, const rpt_str *ids,
                         size_t nrules, lt_error *err)
{
	buf_reset(&c->row);
	lt_status st = buf_append(&c->row, head, n);
	if (st == LT_OK)
		st = list_cell(&c->row, labels, nrules, ",");
	if (st == LT_OK)
		st = list_cell(&c->row, ids != NULL ? ids : labels, nrules, "\r\n");
	if (st != LT_OK)
		return lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
	fwrite(c->row.data, 1, c->row.len, c->out);
	c->rows++;
	if (ferror(c->out))
		return report_write_failed(err, "timeline.csv");
	return LT_OK;
}

lt_status report_csv_row(report_csv *c, const rpt_event_in *ev, const rpt_str *rule_ids,
                         size_t nrules, lt_error *err)
{
	buf head;
	buf_init(&head, 0);
	lt_status st = report_csv_head(&head, ev);
	if (st == LT_OK)
		st = put_row(c, head.data, head.len, rule_ids, NULL, nrules, err);
	else
		st = lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
	buf_free(&head);
	return st;
}

/* The rules column names each rule as people read it: "title (level)". */
static lt_status rule_labels(report *r, const size_t *idx, size_t k, buf *text, rpt_str *labels, rpt_str *ids)
{
	buf_reset(text);
	size_t ends[CSV_MAX_RULES];
	lt_status st = LT_OK;
	for (size_t i = 0; i < k && st == LT_OK; i++) {
		const rpt_rule *rule = report_rule(r, idx[i]);
		ids[i] = rule->id;
		st = buf_printf(text, "%.*s (%s)", (int)rule->title.n, rule->title.p ? rule->title.p : "",
		                rpt_level_name(rule->level));
		ends[i] = text->len;
	}
	for (size_t i = 0; i < k && st == LT_OK; i++) {
		size_t start = i ? ends[i - 1] : 0;
		labels[i] = rpt_sn(text->data + start, ends[i] - start);
	}
	return st;
}

lt_status report_csv_row_head(report_csv *c, report *r, const rpt_event_in *ev, const char *head,
                              size_t n, lt_error *err)
{
	size_t idx[CSV_MAX_RULES];
	size_t k = report_event_rules(r, ev, idx, CSV_MAX_RULES);
	if (k > CSV_MAX_RULES)
		k = CSV_MAX_RULES;
	rpt_str labels[CSV_MAX_RULES], ids[CSV_MAX_RULES];
	if (rule_labels(r, idx, k, &c->labels, labels, ids) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
	return put_row(c, head, n, labels, ids, k, err);
}

lt_status report_csv_row_hit(report_csv *c, report *r, const rpt_event_in *ev, bool every, lt_error *err)
{
	size_t idx[CSV_MAX_RULES];
	size_t k = report_event_rules(r, ev, idx, CSV_MAX_RULES);
	if (k == 0 && !every)
		return LT_OK;
	if (k > CSV_MAX_RULES)
		k = CSV_MAX_RULES;
	rpt_str labels[CSV_MAX_RULES], ids[CSV_MAX_RULES];
	buf_reset(&c->head);
	if (rule_labels(r, idx, k, &c->labels, labels, ids) != LT_OK || report_csv_head(&c->head, ev) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
	return put_row(c, c->head.data, c->head.len, labels, ids, k, err);
}

lt_status report_csv_row_from(report_csv *c, report *r, const rpt_event_in *ev, lt_error *err)
{
	buf head;
	buf_init(&head, 0);
	lt_status st = report_csv_head(&head, ev);
	if (st == LT_OK)
		st = report_csv_row_head(c, r, ev, head.data, head.len, err);
	else
		st = lt_error_set(err, LT_EFATAL, "timeline.csv: out of memory");
	buf_free(&head);
	return st;
}

lt_status report_csv_end(report_csv *c, lt_error *err)
{
	if (c == NULL)
		return LT_OK;
	bool bad = fflush(c->out) != 0 || ferror(c->out);
	buf_free(&c->row);
	buf_free(&c->head);
	buf_free(&c->labels);
	free(c);
	if (bad)
		return report_write_failed(err, "timeline.csv");
	return LT_OK;
}

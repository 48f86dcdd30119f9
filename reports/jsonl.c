/*
 * jsonl.c — the findings.jsonl writer (see jsonl.h, docs/findings.md).
 *
 * One JSON object per finding, on one line, keys always present and always in
 * the same order so that line-oriented tools (grep, jq -c, diff) work on it.
 * A finding's events are those the model kept (rpt_options.max_events); the
 * rest are counted in "events_omitted". "event_uids" lists every event's
 * uid (the join key to timeline.csv, `show` and the SQL views), capped per
 * finding, with "event_uids_omitted" for those not listed. Redacted matches carry the redacted
 * excerpt only: the secret never reaches this file unless --no-redact.
 */
#include "reports/jsonl.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/ltime.h"
#include "reports/rtext.h"

static void jstr(FILE *out, rpt_str s)
{
	rtext_json(out, s.p, s.n);
}

static void jkey(FILE *out, const char *key)
{
	fprintf(out, "\"%s\":", key);
}

static void jtime(FILE *out, int64_t us)
{
	if (us == INT64_MIN) {
		fputs("null", out);
		return;
	}
	char t[LTIME_BUFSZ];
	ltime_format(us, 6, t);
	fprintf(out, "\"%s\"", t);
}

static void write_rule(FILE *out, const rpt_rule *ru)
{
	fputs("{", out);
	jkey(out, "id"); jstr(out, ru->id);
	fputs(",", out); jkey(out, "title"); jstr(out, ru->title);
	fprintf(out, ",\"level\":\"%s\",", rpt_level_name(ru->level));
	jkey(out, "pack"); jstr(out, ru->pack);
	fputs(",", out); jkey(out, "status"); jstr(out, ru->status);
	fputs(",", out); jkey(out, "description"); jstr(out, ru->description);
	fputs(",\"tags\":[", out);
	for (size_t i = 0; i < ru->ntags; i++) {
		if (i)
			fputc(',', out);
		jstr(out, ru->tags[i]);
	}
	fputs("]}", out);
}

static void write_match(FILE *out, const rpt_match *m)
{
	fputs("{", out);
	jkey(out, "field"); jstr(out, m->field);
	fputs(",", out); jkey(out, "excerpt"); jstr(out, m->excerpt);
	fprintf(out, ",\"excerpt_match\":[%zu,%zu],\"offsets\":[%zu,%zu],\"value_length\":%zu",
	        m->mark_start, m->mark_end, m->value_start, m->value_end, m->value_len);
	fprintf(out, ",\"redacted\":%s}", m->redacted ? "true" : "false");
}

static void write_event(FILE *out, const rpt_event *e)
{
	fputs("{", out);
	jkey(out, "uid"); jstr(out, e->uid);
	fputs(",", out); jkey(out, "time"); jtime(out, e->time_us);
	fputs(",", out); jkey(out, "source"); jstr(out, e->source);
	fputs(",", out); jkey(out, "action"); jstr(out, e->action);
	fputs(",", out); jkey(out, "principal"); jstr(out, e->principal);
	fputs(",", out); jkey(out, "source_ip"); jstr(out, e->source_ip);
	fputs(",", out); jkey(out, "access_key"); jstr(out, e->access_key);
	fputs(",", out); jkey(out, "account"); jstr(out, e->account);
	fputs(",", out); jkey(out, "region"); jstr(out, e->region);
	fputs(",", out); jkey(out, "user_agent"); jstr(out, e->user_agent);
	fputs(",", out); jkey(out, "request_id"); jstr(out, e->request_id);
	fprintf(out, ",\"caller_from_cloudtrail\":%s", e->caller_joined ? "true" : "false");
	fputs(",", out); jkey(out, "credential"); jstr(out, rpt_s(e->bearer_token ? "bedrock-api-key" : ""));
	fputs(",", out); jkey(out, "file"); jstr(out, e->evidence);
	fputs(",", out); jkey(out, "member"); jstr(out, e->member);
	fprintf(out, ",\"line\":%" PRIu64 ",", e->line);
	jkey(out, "member_sha256"); jstr(out, e->member_sha256);
	fputs(",\"matches\":[", out);
	for (size_t i = 0; i < e->nmatches; i++) {
		if (i)
			fputc(',', out);
		write_match(out, &e->matches[i]);
	}
	fprintf(out, "],\"matches_omitted\":%zu}", e->matches_dropped);
}

static void jconfidence(FILE *out, double c)
{
	if (c < 0)
		fputs("null", out);
	else
		fprintf(out, "%.2f", c);
}

/* ,"key":[...]: the distinct non-empty values of one field of the finding's
 * listed events, in their order (at most JSONL_MAX_SCOPE: a finding over
 * more accounts or regions than that lists the first ones). */
#define JSONL_MAX_SCOPE 16
static void write_scope(FILE *out, const char *key, const rpt_finding *f, bool region)
{
	rpt_str seen[JSONL_MAX_SCOPE];
	size_t n = 0;
	for (size_t i = 0; i < f->nevents && n < JSONL_MAX_SCOPE; i++) {
		rpt_str v = region ? f->events[i].region : f->events[i].account;
		bool dup = v.n == 0;
		for (size_t k = 0; k < n && !dup; k++)
			dup = seen[k].n == v.n && memcmp(seen[k].p, v.p, v.n) == 0;
		if (!dup)
			seen[n++] = v;
	}
	fprintf(out, ",\"%s\":[", key);
	for (size_t k = 0; k < n; k++) {
		if (k)
			fputc(',', out);
		jstr(out, seen[k]);
	}
	fputc(']', out);
}

static void write_finding(FILE *out, const report *r, size_t index)
{
	const rpt_finding *f = report_finding(r, index);
	char id[RPT_ID_BUFSZ];
	report_finding_id(r, index, id);
	fprintf(out, "{\"id\":\"%s\",\"rule\":", id);
	write_rule(out, report_rule(r, f->rule));
	fputs(",\"confidence\":", out);
	jconfidence(out, f->confidence);
	fputs(",", out); jkey(out, "level_reason"); jstr(out, f->level_reason);
	fputs(",", out); jkey(out, "first_seen"); jtime(out, f->first_us);
	fputs(",", out); jkey(out, "last_seen"); jtime(out, f->last_us);
	write_scope(out, "accounts", f, false);
	write_scope(out, "regions", f, true);
	fputs(",\"group\":{", out);
	for (size_t i = 0; i < f->ngroup; i++) {
		if (i)
			fputc(',', out);
		jstr(out, f->group[i].name);
		fputc(':', out);
		jstr(out, f->group[i].value);
	}
	fprintf(out, "},\"count\":%" PRIu64 ",\"event_uids\":[", f->count);
	for (size_t i = 0; i < f->nevent_uids; i++) {
		if (i)
			fputc(',', out);
		jstr(out, f->event_uids[i]);
	}
	fprintf(out, "],\"event_uids_omitted\":%" PRIu64 ",\"events_omitted\":%" PRIu64 ",\"events\":[",
	        f->event_uids_omitted, f->count - f->nevents);
	for (size_t i = 0; i < f->nevents; i++) {
		if (i)
			fputc(',', out);
		write_event(out, &f->events[i]);
	}
	fputs("]}\n", out);
}

lt_status report_write_jsonl(const report *r, FILE *out, lt_error *err)
{
	size_t n = report_nfindings(r);
	size_t *order = report_findings_order(r);
	if (n && order == NULL)
		return lt_error_set(err, LT_EFATAL, "findings.jsonl: out of memory");
	for (size_t i = 0; i < n; i++)
		write_finding(out, r, order[i]);
	free(order);
	if (fflush(out) != 0 || ferror(out))
		return report_write_failed(err, "findings.jsonl");
	return LT_OK;
}

/* ---- incidents.jsonl ---------------------------------------------------- */

static void jstrs(FILE *out, const char *key, rpt_strs v)
{
	fprintf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < v.n; i++) {
		if (i)
			fputc(',', out);
		jstr(out, v.v[i]);
	}
	fputc(']', out);
}

static void jtokens(FILE *out, const char *key, int64_t v)
{
	if (v < 0)
		fprintf(out, ",\"%s\":null", key);
	else
		fprintf(out, ",\"%s\":%" PRId64, key, v);
}

static void write_incident(FILE *out, const report *r, size_t rank, const rpt_incident *in)
{
	fprintf(out, "{\"rank\":%zu,", rank);
	jkey(out, "id"); jstr(out, in->id);
	fputs(",", out); jkey(out, "title"); jstr(out, in->title);
	fprintf(out, ",\"level\":\"%s\",\"risk\":%.2f,\"confidence\":%.2f,", rpt_level_name(in->level),
	        in->risk, in->confidence);
	jkey(out, "level_reason"); jstr(out, in->level_reason);
	fputs(",", out); jkey(out, "first_seen"); jtime(out, in->first_us);
	fputs(",", out); jkey(out, "last_seen"); jtime(out, in->last_us);
	jstrs(out, "principals", in->principals);
	jstrs(out, "access_keys", in->access_keys);
	jstrs(out, "source_ips", in->source_ips);
	jstrs(out, "user_agents", in->user_agents);
	jstrs(out, "accounts", in->accounts);
	jstrs(out, "regions", in->regions);
	jstrs(out, "stages", in->stages);
	jstrs(out, "models", in->models);
	jstrs(out, "actions", in->resources);
	jtokens(out, "input_tokens", in->input_tokens);
	jtokens(out, "output_tokens", in->output_tokens);
	if (in->cost_usd < 0)
		fputs(",\"estimated_cost_usd\":null,", out);
	else
		fprintf(out, ",\"estimated_cost_usd\":%.4f,", in->cost_usd);
	jkey(out, "cost_note"); jstr(out, in->cost_note);
	fputs(",\"findings\":[", out);
	for (size_t i = 0; i < in->nfindings; i++) {
		char id[RPT_ID_BUFSZ];
		report_finding_id(r, in->findings[i], id);
		fprintf(out, "%s\"%s\"", i ? "," : "", id);
	}
	fprintf(out, "],\"events\":%" PRIu64, in->events);
	jstrs(out, "event_uids", in->event_uids);
	jstrs(out, "next_steps", in->next_steps);
	fputs("}\n", out);
}

lt_status report_write_incidents_jsonl(const report *r, FILE *out, lt_error *err)
{
	for (size_t i = 0; i < report_nincidents(r); i++)
		write_incident(out, r, i + 1, report_incident(r, i));
	if (fflush(out) != 0 || ferror(out))
		return lt_error_set(err, LT_EFILE, "incidents.jsonl: write failed");
	return LT_OK;
}

/* ---- controls.jsonl ------------------------------------------------------ */

static void write_control(FILE *out, const rpt_control *c)
{
	fputs("{", out);
	jkey(out, "id"); jstr(out, c->id);
	fputs(",", out); jkey(out, "title"); jstr(out, c->title);
	fputs(",", out); jkey(out, "type"); jstr(out, c->kind);
	fprintf(out, ",\"status\":\"%s\",", rpt_control_status_name(c->status));
	jkey(out, "detail"); jstr(out, c->detail);
	fputs(",", out); jkey(out, "rationale"); jstr(out, c->rationale);
	fputs(",\"mappings\":[", out);
	for (size_t i = 0; i < c->nmappings; i++) {
		fputs(i ? ",{" : "{", out);
		jkey(out, "framework"); jstr(out, c->mappings[i].name);
		fputs(",", out); jkey(out, "ref"); jstr(out, c->mappings[i].value);
		fputs("}", out);
	}
	fprintf(out, "],\"checked\":%" PRIu64 ",\"violations\":%" PRIu64 ",\"worst_day\":", c->checked, c->violations);
	if (c->worst_day.n)
		jstr(out, c->worst_day);
	else
		fputs("null", out);
	fprintf(out, ",\"worst_day_violations\":%" PRIu64, c->worst_day_violations);
	jstrs(out, "examples", c->examples);
	fputs("}\n", out);
}

lt_status report_write_controls_jsonl(const report *r, FILE *out, lt_error *err)
{
	for (size_t i = 0; i < report_ncontrols(r); i++)
		write_control(out, report_control(r, i));
	if (fflush(out) != 0 || ferror(out))
		return report_write_failed(err, "controls.jsonl");
	return LT_OK;
}

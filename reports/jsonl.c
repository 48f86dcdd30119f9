/*
 * jsonl.c — the findings.jsonl writer (see jsonl.h, docs/findings.md).
 *
 * One JSON object per finding, on one line, keys always present and always in
 * the same order so that line-oriented tools (grep, jq -c, diff) work on it.
 * A finding's events are those the model kept (rpt_options.max_events); the
 * rest are counted in "events_omitted". Redacted matches carry the redacted
 * excerpt only: the secret never reaches this file unless --no-redact.
 */
#include "reports/jsonl.h"

#include <inttypes.h>
#include <stdlib.h>

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

static void write_finding(FILE *out, const report *r, const rpt_finding *f)
{
	fputs("{\"rule\":", out);
	write_rule(out, report_rule(r, f->rule));
	fputs(",", out); jkey(out, "first_seen"); jtime(out, f->first_us);
	fputs(",", out); jkey(out, "last_seen"); jtime(out, f->last_us);
	fputs(",\"group\":{", out);
	for (size_t i = 0; i < f->ngroup; i++) {
		if (i)
			fputc(',', out);
		jstr(out, f->group[i].name);
		fputc(':', out);
		jstr(out, f->group[i].value);
	}
	fprintf(out, "},\"count\":%" PRIu64 ",\"events_omitted\":%" PRIu64 ",\"events\":[", f->count,
	        f->count - f->nevents);
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
		write_finding(out, r, report_finding(r, order[i]));
	free(order);
	if (fflush(out) != 0 || ferror(out))
		return report_write_failed(err, "findings.jsonl");
	return LT_OK;
}

/*
 * markdown.c — the summary.md writer (see markdown.h).
 *
 * Layout: a title, a one-line verdict, the top MD_TOP_INCIDENTS incidents
 * (ranked by risk), a bullet list of case facts, a table
 * of findings per level, a table of the top MD_TOP_FINDINGS findings (the
 * report_findings_order, worst first), and counts of what was not shown.
 * Our own text is fixed ASCII; everything else passes through rtext_md. The
 * file holds no URL at all, so a CI page cannot fetch anything because of it.
 */
#include "reports/markdown.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/ltime.h"
#include "reports/rtext.h"

static void md(FILE *out, rpt_str s)
{
	rtext_md(out, s.p, s.n);
}

/* Our own text (digits, '-', ':', 'T', 'Z'): nothing Markdown reads as markup. */
static void md_time(FILE *out, int64_t us)
{
	if (us == INT64_MIN) {
		fputs("n/a", out);
		return;
	}
	char t[LTIME_BUFSZ];
	ltime_format(us, 0, t);
	fputs(t, out);
}

static void verdict(FILE *out, const report *r)
{
	char reason[512];
	report_verdict_reason(r, reason, sizeof reason);
	fprintf(out, "**%s**: %s.\n\n", rpt_verdict_name(report_verdict(r)), reason);
}

static void facts(FILE *out, const report *r)
{
	int64_t first, last;
	report_time_range(r, &first, &last);
	fprintf(out, "- Events: %" PRIu64, report_total_events(r));
	for (size_t i = 0; i < report_nsources(r); i++) {
		fputs(i ? ", " : " (", out);
		md(out, report_source(r, i)->name);
		fprintf(out, " %" PRIu64, report_source(r, i)->count);
	}
	fprintf(out, "%s from %" PRIu64 " evidence file%s\n", report_nsources(r) ? ")" : "",
	        report_evidence_files(r), report_evidence_files(r) == 1 ? "" : "s");
	fputs("- Time range: ", out);
	md_time(out, first);
	fputs(" to ", out);
	md_time(out, last);
	fputs("\n", out);
	uint64_t oc[RPT_NOUTCOMES] = {0};
	for (size_t i = 0; i < report_nrules(r); i++)
		oc[report_rule(r, i)->outcome]++;
	fprintf(out,
	        "- Rules: %zu (%" PRIu64 " passed, %" PRIu64 " fired, %" PRIu64
	        " not applicable, %" PRIu64 " unsupported, %" PRIu64 " failed",
	        report_nrules(r), oc[RPT_PASSED], oc[RPT_FIRED], oc[RPT_NOT_APPLICABLE],
	        oc[RPT_UNSUPPORTED], oc[RPT_FAILED]);
	if (oc[RPT_FILTERED])
		fprintf(out, ", %" PRIu64 " filtered", oc[RPT_FILTERED]);
	fputs(")\n", out);
	fprintf(out, "- Problems: %zu\n", report_nproblems(r));
	uint64_t invalid = 0;
	for (size_t i = 0; i < report_nintegrity(r); i++)
		invalid += report_integrity(r, i)->status == RPT_CHECK_INVALID;
	if (report_nintegrity(r))
		fprintf(out, "- Integrity checks: %zu (%" PRIu64 " invalid)\n", report_nintegrity(r),
		        invalid);
	fprintf(out, "- Redaction: %s\n\n", report_options(r)->redact ? "on" : "off");
}

static void md_list(FILE *out, rpt_strs v, size_t max)
{
	if (v.n == 0) {
		fputs("-", out);
		return;
	}
	for (size_t i = 0; i < v.n && i < max; i++) {
		if (i)
			fputs(", ", out);
		md(out, v.v[i]);
	}
	if (v.n > max)
		fprintf(out, " (+%zu)", v.n - max);
}

static void md_stages(FILE *out, rpt_strs v)
{
	for (size_t i = 0; i < v.n; i++) {
		if (i)
			fputs(" > ", out);
		md(out, v.v[i]);
	}
	if (v.n == 0)
		fputs("-", out);
}

/* The incidents, ranked: what happened, who, with which key, from where,
 * when, through which stages, and what to do next. */
static void incidents(FILE *out, const report *r)
{
	size_t n = report_nincidents(r);
	if (n == 0)
		return;
	size_t shown = n < MD_TOP_INCIDENTS ? n : MD_TOP_INCIDENTS;
	fprintf(out, "### Incidents (%zu, highest risk first)\n\n", n);
	for (size_t i = 0; i < shown; i++) {
		const rpt_incident *in = report_incident(r, i);
		fprintf(out, "%zu. **%s** (risk %.1f, confidence %.2f) ", i + 1, rpt_level_name(in->level), in->risk,
		        in->confidence);
		md(out, in->title);
		fputs("\n   - When: ", out);
		md_time(out, in->first_us);
		fputs(" to ", out);
		md_time(out, in->last_us);
		fputs("\n   - Who: ", out);
		md_list(out, in->principals, 3);
		fputs("; key: ", out);
		md_list(out, in->access_keys, 3);
		fputs("; from: ", out);
		md_list(out, in->source_ips, 3);
		fputs("\n   - Stages: ", out);
		md_stages(out, in->stages);
		fprintf(out, "; %zu finding%s, %" PRIu64 " events", in->nfindings, in->nfindings == 1 ? "" : "s",
		        in->events);
		if (in->cost_usd >= 0.005)
			fprintf(out, "; estimated cost %.2f USD", in->cost_usd);
		else if (in->cost_usd >= 0)
			fputs("; estimated cost under 0.01 USD", out);
		fputs("\n   - Why this level: ", out);
		md(out, in->level_reason);
		for (size_t k = 0; k < in->next_steps.n && k < 3; k++) {
			fputs(k ? "; " : "\n   - Next: ", out);
			md(out, in->next_steps.v[k]);
		}
		fputs("\n", out);
	}
	if (n > shown)
		fprintf(out, "\n%zu more incident%s in incidents.jsonl and the full report.\n", n - shown,
		        n - shown == 1 ? "" : "s");
	fputs("\n", out);
}

static void level_table(FILE *out, const report *r)
{
	uint64_t c[RPT_NLEVELS];
	report_level_counts(r, c);
	fputs("| Level | Findings |\n|---|---:|\n", out);
	for (int l = RPT_NLEVELS - 1; l >= 0; l--)
		fprintf(out, "| %s | %" PRIu64 " |\n", rpt_level_name((rpt_level)l), c[l]);
	fputs("\n", out);
}

static void top_findings(FILE *out, const report *r)
{
	size_t n = report_nfindings(r);
	if (n == 0)
		return;
	size_t *order = report_findings_order(r);
	if (order == NULL)
		return;
	fputs("### Top findings\n\n| Level | Rule | Group | Events | First seen |\n"
	      "|---|---|---|---:|---|\n", out);
	size_t shown = n < MD_TOP_FINDINGS ? n : MD_TOP_FINDINGS;
	for (size_t i = 0; i < shown; i++) {
		const rpt_finding *f = report_finding(r, order[i]);
		const rpt_rule *ru = report_rule(r, f->rule);
		fprintf(out, "| %s | ", rpt_level_name(ru->level));
		md(out, ru->title.n ? ru->title : ru->id);
		fputs(" (", out);
		md(out, ru->id);
		fputs(") | ", out);
		md(out, f->group_text);
		fprintf(out, " | %" PRIu64 " | ", f->count);
		md_time(out, f->first_us);
		fputs(" |\n", out);
	}
	free(order);
	if (n > shown)
		fprintf(out, "\n%zu more finding%s in the full report.\n", n - shown,
		        n - shown == 1 ? "" : "s");
	if (report_findings_dropped(r))
		fprintf(out, "\n%" PRIu64 " further hits were counted but not kept (finding cap).\n",
		        report_findings_dropped(r));
	fputs("\n", out);
}

/* One row per control; the first violations of a failed one below the table. */
static void controls(FILE *out, const report *r)
{
	size_t n = report_ncontrols(r);
	if (n == 0)
		return;
	fprintf(out, "### Controls (%zu, %zu failed)\n\n| Result | Control | Evidence |\n|---|---|---|\n", n,
	        report_ncontrols_failed(r));
	for (size_t i = 0; i < n; i++) {
		const rpt_control *c = report_control(r, i);
		fprintf(out, "| %s%s%s | ", c->status == RPT_CONTROL_FAIL ? "**" : "", rpt_control_status_name(c->status),
		        c->status == RPT_CONTROL_FAIL ? "**" : "");
		md(out, c->id);
		fputs(" ", out);
		md(out, c->title);
		for (size_t j = 0; j < c->nmappings; j++) {
			fputs(j ? "; " : " (", out);
			md(out, c->mappings[j].name);
			fputs(" ", out);
			md(out, c->mappings[j].value);
		}
		fputs(c->nmappings ? ") | " : " | ", out);
		md(out, c->detail);
		if (c->worst_day.n) {
			fputs("; worst day ", out);
			md(out, c->worst_day);
		}
		fputs(" |\n", out);
	}
	fputs("\n", out);
	for (size_t i = 0; i < n; i++) {
		const rpt_control *c = report_control(r, i);
		if (c->status != RPT_CONTROL_FAIL || c->examples.n == 0)
			continue;
		fputs("First violations of ", out);
		md(out, c->id);
		fprintf(out, " (%" PRIu64 " in all):\n\n", c->violations);
		for (size_t j = 0; j < c->examples.n; j++) {
			fputs("- ", out);
			md(out, c->examples.v[j]);
			fputs("\n", out);
		}
		fputs("\n", out);
	}
}

static void md_gap(FILE *out, uint64_t count, rpt_strs list)
{
	if (count == UINT64_MAX) {
		fputs("not counted", out);
		return;
	}
	fprintf(out, "%" PRIu64, count);
	if (count == 0)
		return;
	fputs(" (", out);
	md_list(out, list, list.n);
	if (count > list.n)
		fprintf(out, " and %" PRIu64 " more", count - list.n);
	fputs(")", out);
}

/* Per account and region: the span and the gaps (analyzers/audit/period.h). */
static void period(FILE *out, const report *r)
{
	size_t n = report_nperiods(r);
	if (n == 0)
		return;
	fputs("### Period covered\n\nSilent hours: UTC hours with Bedrock runtime calls in CloudTrail and no "
	      "invocation-log record. Dark days: UTC days between the first and last event with no CloudTrail event.\n\n"
	      "| Account | Region | First event | Last event | CloudTrail | Invocation log | Silent hours | Dark days |\n"
	      "|---|---|---|---|---:|---:|---|---|\n", out);
	for (size_t i = 0; i < n; i++) {
		const rpt_period *p = report_period(r, i);
		fputs("| ", out);
		md(out, p->account);
		fputs(" | ", out);
		md(out, p->region);
		fputs(" | ", out);
		md_time(out, p->first_us);
		fputs(" | ", out);
		md_time(out, p->last_us);
		fprintf(out, " | %" PRIu64 " | %" PRIu64 " | ", p->cloudtrail, p->invocation);
		md_gap(out, p->silent_hours, p->silent_list);
		fputs(" | ", out);
		md_gap(out, p->dark_days, p->dark_list);
		fputs(" |\n", out);
	}
	fputs("\n", out);
}

lt_status report_write_markdown(const report *r, FILE *out, lt_error *err)
{
	fputs("## llmtrail summary\n\n", out);
	verdict(out, r);
	incidents(out, r);
	controls(out, r);
	period(out, r);
	facts(out, r);
	level_table(out, r);
	top_findings(out, r);
	if (fflush(out) != 0 || ferror(out))
		return report_write_failed(err, "summary.md");
	return LT_OK;
}

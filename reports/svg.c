/*
 * svg.c — inline SVG charts (see svg.h).
 *
 * Timeline: the hourly buckets of the model are folded into at most
 * SVG_MAX_BARS bars by choosing the smallest step from a fixed ladder (1 h,
 * 2 h, ... 1 day, 1 week, 30 days, ...) that fits, aligned to the epoch so
 * that day steps start at 00:00 UTC. Each bar stacks the sources in the
 * order of report_source; bars where a finding's first event falls carry a
 * red marker. Every bar and marker has a <title> (hover text) with exact
 * numbers, and the plot is 1000 x 260 user units scaled to the page width.
 *
 * Dashboard charts: grouped bars and lines share one value axis (0, middle,
 * top). Stacked bars and scatter plots use axis_fit: a linear axis with
 * 1/2/5 ticks, or (scatter only, over two decades) a log axis between powers
 * of ten. Stack segments take both edges from the running sum, so their
 * integer heights add up exactly to the stack. Legends wrap and the SVG
 * grows by a row for each extra legend row.
 */
#include "reports/svg.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/ltime.h"
#include "reports/rtext.h"

#define W 1000
#define H 260
#define PX0 56  /* plot left */
#define PX1 990 /* plot right */
#define PY0 24  /* plot top */
#define PY1 200 /* plot bottom */

static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                      "#56B4E9", "#D55E00", "#8C6D31", "#7F7F7F"};

const char *svg_color(size_t i)
{
	return palette[i % (sizeof palette / sizeof palette[0])];
}

size_t svg_fmt_num(double v, char out[40])
{
	if (isnan(v) || isinf(v) || fabs(v) >= 1e17) {
		strcpy(out, "-");
		return 1;
	}
	bool neg = v < 0;
	double a = fabs(v);
	uint64_t cents = (uint64_t)llround(a * 100.0);
	uint64_t ip = cents / 100, fp = cents % 100;
	int n;
	if (fp == 0)
		n = snprintf(out, 40, "%s%" PRIu64, neg && cents ? "-" : "", ip);
	else if (fp % 10 == 0)
		n = snprintf(out, 40, "%s%" PRIu64 ".%" PRIu64, neg ? "-" : "", ip, fp / 10);
	else
		n = snprintf(out, 40, "%s%" PRIu64 ".%02" PRIu64, neg ? "-" : "", ip, fp);
	return n > 0 ? (size_t)n : 0;
}

static void text(FILE *out, rpt_str s)
{
	rtext_html_attr(out, s.p, s.n);
}

static void num(FILE *out, double v)
{
	char b[40];
	svg_fmt_num(v, b);
	fputs(b, out);
}

/* Cuts s to at most max bytes (never inside a UTF-8 sequence) and adds an
 * ellipsis when it was cut. */
static void text_cut(FILE *out, rpt_str s, size_t max)
{
	size_t n = s.n;
	if (n > max) {
		n = max > 0 ? max - 1 : 0;
		while (n > 0 && ((unsigned char)s.p[n] & 0xC0) == 0x80)
			n--;
	}
	text(out, rpt_sn(s.p, n));
	if (n < s.n)
		fputs("\xE2\x80\xA6", out);
}

/* Short UTC label: "2024-05-01 13:00" or, for day steps, "2024-05-01". */
static void time_label(int64_t us, bool days, char out[LTIME_BUFSZ])
{
	ltime_format(us, 0, out);
	out[10] = days ? '\0' : ' ';
	if (!days)
		out[16] = '\0';
}

static int64_t pick_step(int64_t hours)
{
	static const int64_t ladder[] = {1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760};
	for (size_t i = 0; i < sizeof ladder / sizeof ladder[0]; i++)
		if ((hours + ladder[i] - 1) / ladder[i] <= SVG_MAX_BARS - 1)
			return ladder[i];
	return (hours + SVG_MAX_BARS - 2) / (SVG_MAX_BARS - 1);
}

/* The smallest 1, 2, 2.5 or 5 times a power of ten that is >= v (v > 0). */
static double nice_ceil(double v)
{
	if (!(v > 0) || isinf(v))
		return 1;
	double p = 1;
	while (p * 10 <= v)
		p *= 10;
	while (p > v)
		p /= 10;
	static const double steps[] = {1, 2, 2.5, 5, 10};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i] * p >= v)
			return steps[i] * p;
	return 10 * p;
}

typedef struct tl {
	int64_t start_us, step_us;
	size_t nbars, nsrc;
	uint64_t *v;        /* nbars * nsrc */
	uint64_t *findings; /* nbars */
	uint64_t max;
} tl;

static bool tl_build(const report *r, tl *t)
{
	size_t nb = report_nbuckets(r);
	int64_t h0 = report_bucket(r, 0)->hour_us, h1 = report_bucket(r, nb - 1)->hour_us;
	for (size_t i = 0; i < report_nfindings(r); i++) {
		/* findings outside the counted events still get a marker */
		if (report_finding(r, i)->first_us == INT64_MIN)
			continue;
		int64_t fh = ltime_floor_div(report_finding(r, i)->first_us, LTIME_HOUR_US) * LTIME_HOUR_US;
		if (fh < h0)
			h0 = fh;
		if (fh > h1)
			h1 = fh;
	}
	t->step_us = pick_step((h1 - h0) / LTIME_HOUR_US + 1) * LTIME_HOUR_US;
	t->start_us = ltime_floor_div(h0, t->step_us) * t->step_us;
	t->nbars = (size_t)((ltime_floor_div(h1, t->step_us) * t->step_us - t->start_us) / t->step_us) + 1;
	t->nsrc = report_nsources(r);
	t->v = calloc(t->nbars * (t->nsrc ? t->nsrc : 1), sizeof *t->v);
	t->findings = calloc(t->nbars, sizeof *t->findings);
	if (t->v == NULL || t->findings == NULL)
		return false;
	for (size_t i = 0; i < nb; i++) {
		const rpt_bucket *b = report_bucket(r, i);
		size_t bar = (size_t)((b->hour_us - t->start_us) / t->step_us);
		if (bar >= t->nbars)
			continue;
		for (size_t s = 0; s < t->nsrc; s++)
			t->v[bar * t->nsrc + s] += b->counts[s];
	}
	for (size_t i = 0; i < report_nfindings(r); i++) {
		int64_t fu = report_finding(r, i)->first_us;
		if (fu < t->start_us)
			continue;
		uint64_t bar = (uint64_t)((fu - t->start_us) / t->step_us);
		if (bar < t->nbars)
			t->findings[bar]++;
	}
	t->max = 1;
	for (size_t b = 0; b < t->nbars; b++) {
		uint64_t sum = 0;
		for (size_t s = 0; s < t->nsrc; s++)
			sum += t->v[b * t->nsrc + s];
		if (sum > t->max)
			t->max = sum;
	}
	double top = nice_ceil((double)t->max);
	t->max = top < 1e18 ? (uint64_t)top : t->max;
	if (t->max < 2)
		t->max = 2; /* integer ticks at 0, 1, 2 */
	return true;
}

static long ycoord(double v, double lo, double hi)
{
	if (hi <= lo)
		return PY1;
	return lround(PY1 - (v - lo) / (hi - lo) * (PY1 - PY0));
}

static void axes(FILE *out, double lo, double hi)
{
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PX0, PY1, PX1, PY1);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PX0, PY0, PX0, PY1);
	for (int k = 0; k <= 2; k++) {
		double v = lo + (hi - lo) * k / 2.0;
		long y = ycoord(v, lo, hi);
		fprintf(out, "<line x1=\"%d\" y1=\"%ld\" x2=\"%d\" y2=\"%ld\" stroke=\"#ddd\"/>", PX0, y, PX1, y);
		fprintf(out, "<text x=\"%d\" y=\"%ld\" text-anchor=\"end\" font-size=\"11\">", PX0 - 4, y + 4);
		num(out, v);
		fputs("</text>\n", out);
	}
}

static void tl_bars(FILE *out, const report *r, const tl *t, bool days)
{
	double bw = (double)(PX1 - PX0) / (double)t->nbars;
	for (size_t b = 0; b < t->nbars; b++) {
		long x = lround(PX0 + bw * (double)b);
		long w = lround(PX0 + bw * (double)(b + 1)) - x - (bw > 3 ? 1 : 0);
		if (w < 1)
			w = 1;
		char lab[LTIME_BUFSZ];
		time_label(t->start_us + (int64_t)b * t->step_us, days, lab);
		fprintf(out, "<g><title>%s", lab);
		uint64_t acc = 0;
		for (size_t s = 0; s < t->nsrc; s++) {
			fputs(s ? ", " : ": ", out);
			text(out, report_source(r, s)->name);
			fprintf(out, " %" PRIu64, t->v[b * t->nsrc + s]);
		}
		if (t->findings[b])
			fprintf(out, "; %" PRIu64 " finding(s) start here", t->findings[b]);
		fputs("</title>", out);
		for (size_t s = 0; s < t->nsrc; s++) {
			uint64_t v = t->v[b * t->nsrc + s];
			if (v == 0)
				continue;
			long y0 = ycoord((double)acc, 0, (double)t->max);
			long y1 = ycoord((double)(acc + v), 0, (double)t->max);
			acc += v;
			fprintf(out, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" fill=\"%s\"/>",
			        x, y1, w, y0 - y1 > 0 ? y0 - y1 : 1, svg_color(s));
		}
		if (t->findings[b]) {
			fprintf(out, "<path d=\"M%ld %d l5 -9 h-10 z\" fill=\"#C00\"/>", x + w / 2, PY0 - 2);
			if (w >= 24 && t->findings[b] > 1)
				fprintf(out, "<text class=\"fm\" x=\"%ld\" y=\"%d\" font-size=\"10\">%" PRIu64
				             "</text>", x + w / 2 + 7, PY0 - 4, t->findings[b]);
		}
		fputs("</g>\n", out);
	}
}

static void tl_xlabels(FILE *out, const tl *t, bool days)
{
	size_t ticks = t->nbars < 6 ? t->nbars : 6;
	double bw = (double)(PX1 - PX0) / (double)t->nbars;
	for (size_t k = 0; k < ticks; k++) {
		size_t b = ticks == 1 ? 0 : k * (t->nbars - 1) / (ticks - 1);
		char lab[LTIME_BUFSZ];
		time_label(t->start_us + (int64_t)b * t->step_us, days, lab);
		long x = lround(PX0 + bw * ((double)b + 0.5));
		const char *anchor = k == 0 && ticks > 1 ? "start" : k == ticks - 1 && ticks > 1 ? "end" : "middle";
		if (k == 0 && ticks > 1)
			x = lround(PX0 + bw * (double)b);
		if (k == ticks - 1 && ticks > 1)
			x = lround(PX0 + bw * (double)(b + 1));
		fprintf(out, "<text x=\"%ld\" y=\"%d\" text-anchor=\"%s\" font-size=\"11\">%s</text>\n",
		        x, PY1 + 16, anchor, lab);
	}
}

#define LEGEND_ROW 16 /* height of one legend row */

#define LEGEND_NAME_MAX 48 /* bytes of a series name in a legend */

static size_t legend_shown(rpt_str name)
{
	return name.n > LEGEND_NAME_MAX ? LEGEND_NAME_MAX : name.n;
}

static long legend_width(rpt_str name)
{
	size_t shown = legend_shown(name);
	return 14 + 8 * (long)(shown < 6 ? 6 : shown) + 16;
}

/* Rows the legend of these names takes: an entry that would run past the
 * plot's right edge starts a new row. */
static int legend_rows(size_t n, const rpt_str *names)
{
	int rows = 1;
	long x = PX0;
	for (size_t i = 0; i < n; i++) {
		long w = legend_width(names[i]);
		if (x > PX0 && x + w - 16 > W) {
			rows++;
			x = PX0;
		}
		x += w;
	}
	return rows;
}

/* The legend, its first row's baseline at y (legend_rows rows below). */
static void legend(FILE *out, size_t n, const rpt_str *names, int y)
{
	long x = PX0;
	for (size_t i = 0; i < n; i++) {
		long w = legend_width(names[i]);
		if (x > PX0 && x + w - 16 > W) {
			y += LEGEND_ROW;
			x = PX0;
		}
		fprintf(out, "<rect x=\"%ld\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", x, y - 9,
		        svg_color(i));
		fprintf(out, "<text x=\"%ld\" y=\"%d\" font-size=\"12\">", x + 14, y);
		text_cut(out, names[i], LEGEND_NAME_MAX);
		fputs("</text>\n", out);
		x += w;
	}
}

void svg_timeline(FILE *out, const report *r)
{
	if (report_nbuckets(r) == 0) {
		fputs("<p class=\"muted\">No events were counted for the timeline.</p>\n", out);
		return;
	}
	tl t;
	memset(&t, 0, sizeof t);
	if (!tl_build(r, &t)) {
		free(t.v);
		free(t.findings);
		fputs("<p class=\"muted\">Timeline unavailable (out of memory).</p>\n", out);
		return;
	}
	bool days = t.step_us % (24 * LTIME_HOUR_US) == 0;
	int64_t step_h = t.step_us / LTIME_HOUR_US;
	fprintf(out, "<p class=\"muted\">Events per %s%" PRId64 " hour%s, stacked by source; "
	             "<span class=\"fmark\">&#9660;</span> marks where findings start.</p>\n",
	        step_h == 1 ? "" : "", step_h, step_h == 1 ? "" : "s");
	rpt_str names[RPT_MAX_SOURCES];
	for (size_t s = 0; s < t.nsrc; s++)
		names[s] = report_source(r, s)->name;
	int extra = (legend_rows(t.nsrc, names) - 1) * LEGEND_ROW;
	fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
	             "aria-label=\"Events over time by source\" xmlns=\"http://www.w3.org/2000/svg\">\n",
	        W, H + extra);
	axes(out, 0, (double)t.max);
	tl_bars(out, r, &t, days);
	tl_xlabels(out, &t, days);
	legend(out, t.nsrc, names, H - 12);
	fputs("</svg>\n", out);
	free(t.v);
	free(t.findings);
}

/* ---- dashboard charts ---------------------------------------------------- */

static void range_of(const rpt_chart *c, double *lo, double *hi)
{
	*lo = 0;
	*hi = 0;
	for (size_t s = 0; s < c->nseries; s++)
		for (size_t i = 0; i < c->nx; i++) {
			double v = c->series[s].values[i];
			if (isnan(v) || isinf(v))
				continue;
			if (v < *lo)
				*lo = v;
			if (v > *hi)
				*hi = v;
		}
	*hi = *hi > 0 ? nice_ceil(*hi) : 0;
	*lo = *lo < 0 ? -nice_ceil(-*lo) : 0;
	if (*hi <= *lo)
		*hi = *lo + 1;
}

static void chart_xlabels(FILE *out, const rpt_chart *c)
{
	double gw = (double)(PX1 - PX0) / (double)c->nx;
	size_t ticks = c->nx < 8 ? c->nx : 8;
	for (size_t k = 0; k < ticks; k++) {
		size_t i = ticks == 1 ? 0 : k * (c->nx - 1) / (ticks - 1);
		long x = lround(PX0 + gw * ((double)i + 0.5));
		fprintf(out, "<text x=\"%ld\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">", x, PY1 + 16);
		/* as many characters as fit between two shown labels (~6.6 px each at 11 px) */
		double spacing = ticks > 1 ? gw * (double)(c->nx - 1) / (double)(ticks - 1) : (double)(PX1 - PX0);
		size_t fit = spacing / 6.6 < 4 ? 4 : spacing / 6.6 > 24 ? 24 : (size_t)(spacing / 6.6);
		size_t n = c->xlabels[i].n;
		if (n > fit) {
			n = fit - 1;
			while (n > 0 && ((unsigned char)c->xlabels[i].p[n] & 0xC0) == 0x80)
				n--; /* never split a UTF-8 sequence */
		}
		text(out, rpt_sn(c->xlabels[i].p, n));
		if (n < c->xlabels[i].n)
			fputs("\xE2\x80\xA6", out);
		fputs("</text>\n", out);
	}
}

static void point_title(FILE *out, const rpt_chart *c, size_t s, size_t i)
{
	fputs("<title>", out);
	text(out, c->series[s].name);
	fputs(" @ ", out);
	text(out, c->xlabels[i]);
	fputs(": ", out);
	num(out, c->series[s].values[i]);
	if (c->unit.n) {
		fputc(' ', out);
		text(out, c->unit);
	}
	fputs("</title>", out);
}

static void svg_open(FILE *out, const rpt_chart *c, int height)
{
	fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", W, height);
	text(out, c->title);
	fputs("\" xmlns=\"http://www.w3.org/2000/svg\">\n", out);
}

static size_t series_names(const rpt_chart *c, rpt_str names[SVG_MAX_LEGEND])
{
	size_t nn = c->nseries < SVG_MAX_LEGEND ? c->nseries : SVG_MAX_LEGEND;
	for (size_t s = 0; s < nn; s++)
		names[s] = c->series[s].name;
	return nn;
}

static bool finite(double v)
{
	return !isnan(v) && !isinf(v);
}

/* The smallest 1, 2 or 5 times a power of ten that is >= raw (raw > 0). */
static double nice_step(double raw)
{
	if (!(raw > 0) || raw > 1e300)
		return 1;
	double p = 1;
	while (p * 10 <= raw)
		p *= 10;
	while (p > raw)
		p /= 10;
	static const double steps[] = {1, 2, 5, 10};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (steps[i] * p >= raw)
			return steps[i] * p;
	return 10 * p;
}

/* Tick label: "950", "1k", "12.5k", "3M" (k, M, G, T from 1000 up). */
static void tick_label(FILE *out, double v)
{
	static const char *const suffix[] = {"", "k", "M", "G", "T"};
	size_t k = 0;
	double a = fabs(v);
	if (a >= 1e3)
		while (k + 1 < sizeof suffix / sizeof suffix[0] && a >= 1e3) {
			a /= 1e3;
			v /= 1e3;
			k++;
		}
	num(out, v);
	fputs(suffix[k], out);
}

/* A numeric axis: linear with ticks lo, lo + step, ... hi; or logarithmic
 * from the power of ten at or below the smallest positive value (lo) to the
 * one at or above the largest (hi), ticks at powers of ten, values <= 0 drawn
 * on the axis line (zero says whether there are any). */
typedef struct axis {
	bool log, zero;
	double lo, hi, step;
} axis;

#define AXIS_TICKS 5      /* linear: about this many intervals */
#define AXIS_LOG_SPAN 1e2 /* log when max / smallest positive value exceeds this */

static void axis_fit(axis *a, const double *v, size_t n, bool allow_log)
{
	double mn = 0, mx = 0, minpos = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!finite(v[i]))
			continue;
		if (!any || v[i] < mn)
			mn = v[i];
		if (!any || v[i] > mx)
			mx = v[i];
		if (v[i] > 0 && (minpos == 0 || v[i] < minpos))
			minpos = v[i];
		any = true;
	}
	memset(a, 0, sizeof *a);
	a->log = allow_log && any && mn >= 0 && minpos > 0 && mx / minpos > AXIS_LOG_SPAN;
	if (a->log) {
		a->zero = mn <= 0;
		a->lo = 1;
		while (a->lo > minpos && a->lo > 1e-300)
			a->lo /= 10;
		while (a->lo * 10 <= minpos)
			a->lo *= 10;
		a->hi = a->lo;
		while (a->hi < mx && a->hi < 1e300)
			a->hi *= 10;
		a->step = 10;
		return;
	}
	double lo = mn < 0 ? mn : 0, top = mx > 0 ? mx : 0;
	double span = top - lo;
	a->step = nice_step(span > 0 && span < 1e300 ? span / AXIS_TICKS : 1);
	a->lo = floor(lo / a->step) * a->step;
	a->hi = ceil(top / a->step) * a->step;
	if (a->hi <= a->lo)
		a->hi = a->lo + a->step;
}

/* Where v falls on the axis, 0 (lo) .. 1 (hi); clamped. */
static double axis_frac(const axis *a, double v)
{
	double f;
	if (a->log)
		f = v <= 0 ? 0 : (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	else
		f = (v - a->lo) / (a->hi - a->lo);
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* The tick values, at most max of them; returns how many. */
static size_t axis_ticks(const axis *a, double *t, size_t max)
{
	size_t n = 0;
	if (a->log) {
		size_t decades = 0;
		for (double p = a->lo; p < a->hi && decades < 1000; p *= 10)
			decades++;
		size_t every = decades / (max > 1 ? max - 1 : 1) + 1;
		double p = a->lo;
		for (size_t d = 0; d <= decades && n < max; d++, p *= 10)
			if (d % every == 0)
				t[n++] = p;
		return n;
	}
	for (size_t k = 0; n < max; k++) {
		double v = a->lo + (double)k * a->step;
		if (v > a->hi + a->step * 1e-9)
			break;
		t[n++] = v;
	}
	return n;
}

/* ---- stacked bars ---------------------------------------------------------- */

/* A segment's value as drawn: negative and non-finite values count as 0. */
static double seg(const rpt_chart *c, size_t s, size_t i)
{
	double v = c->series[s].values[i];
	return finite(v) && v > 0 ? v : 0;
}

static double stack_total(const rpt_chart *c, size_t i)
{
	double t = 0;
	for (size_t s = 0; s < c->nseries; s++)
		t += seg(c, s, i);
	return t;
}

static void value_axis(FILE *out, const axis *a)
{
	double t[16];
	size_t n = axis_ticks(a, t, 12);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PX0, PY1, PX1, PY1);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", PX0, PY0, PX0, PY1);
	for (size_t k = 0; k < n; k++) {
		long y = lround(PY1 - axis_frac(a, t[k]) * (PY1 - PY0));
		if (k > 0)
			fprintf(out, "<line x1=\"%d\" y1=\"%ld\" x2=\"%d\" y2=\"%ld\" stroke=\"#ddd\"/>", PX0, y, PX1, y);
		fprintf(out, "<text x=\"%d\" y=\"%ld\" text-anchor=\"end\" font-size=\"11\">", PX0 - 4, y + 4);
		tick_label(out, t[k]);
		fputs("</text>\n", out);
	}
}

static void segment_title(FILE *out, const rpt_chart *c, size_t s, size_t i, double total)
{
	fputs("<title>", out);
	text(out, c->series[s].name);
	fputs(" @ ", out);
	text(out, c->xlabels[i]);
	fputs(": ", out);
	num(out, c->series[s].values[i]);
	if (c->unit.n) {
		fputc(' ', out);
		text(out, c->unit);
	}
	fputs(" (total ", out);
	num(out, total);
	fputs(")</title>", out);
}

static void stacked_chart(FILE *out, const rpt_chart *c)
{
	double max = 0;
	for (size_t i = 0; i < c->nx; i++) {
		double t = stack_total(c, i);
		if (t > max)
			max = t;
	}
	axis a;
	axis_fit(&a, &max, 1, false);
	rpt_str names[SVG_MAX_LEGEND];
	size_t nn = series_names(c, names);
	svg_open(out, c, H + (legend_rows(nn, names) - 1) * LEGEND_ROW);
	value_axis(out, &a);
	double gw = (double)(PX1 - PX0) / (double)c->nx;
	double bw = gw > 12 ? gw * 0.75 : gw > 3 ? gw - 1 : gw;
	if (bw > 90)
		bw = 90;
	for (size_t i = 0; i < c->nx; i++) {
		long x = lround(PX0 + gw * ((double)i + 0.5) - bw / 2);
		long w = lround(bw) < 1 ? 1 : lround(bw);
		double total = stack_total(c, i), acc = 0;
		for (size_t s = 0; s < c->nseries; s++) {
			double v = seg(c, s, i);
			if (v == 0)
				continue;
			/* both edges from the running sum: the segments add up to the bar */
			long y0 = lround(PY1 - axis_frac(&a, acc) * (PY1 - PY0));
			long y1 = lround(PY1 - axis_frac(&a, acc + v) * (PY1 - PY0));
			acc += v;
			if (y0 <= y1)
				continue; /* thinner than a unit: in the table and the other titles */
			fputs("<g>", out);
			segment_title(out, c, s, i, total);
			fprintf(out, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" fill=\"%s\"/>", x, y1, w,
			        y0 - y1, svg_color(s));
			fputs("</g>\n", out);
		}
	}
	chart_xlabels(out, c);
	legend(out, nn, names, H - 12);
	fputs("</svg>\n", out);
}

/* ---- scatter ------------------------------------------------------------- */

#define SX0 76  /* scatter plot left (room for the rotated y-axis name) */
#define SX1 975 /* scatter plot right */
#define SY0 16  /* scatter plot top */
#define SY1 200 /* scatter plot bottom */

static long sx(const axis *a, double v)
{
	return lround(SX0 + axis_frac(a, v) * (SX1 - SX0));
}

static long sy(const axis *a, double v)
{
	return lround(SY1 - axis_frac(a, v) * (SY1 - SY0));
}

static void scatter_axes(FILE *out, const axis *ax, const axis *ay)
{
	double t[16];
	size_t n = axis_ticks(ay, t, 8);
	for (size_t k = 0; k < n; k++) {
		long y = sy(ay, t[k]);
		if (k > 0)
			fprintf(out, "<line x1=\"%d\" y1=\"%ld\" x2=\"%d\" y2=\"%ld\" stroke=\"#ddd\"/>", SX0, y, SX1, y);
		fprintf(out, "<text x=\"%d\" y=\"%ld\" text-anchor=\"end\" font-size=\"11\">", SX0 - 4, y + 4);
		tick_label(out, t[k]);
		fputs("</text>\n", out);
	}
	n = axis_ticks(ax, t, 12);
	for (size_t k = 0; k < n; k++) {
		long x = sx(ax, t[k]);
		if (k > 0)
			fprintf(out, "<line x1=\"%ld\" y1=\"%d\" x2=\"%ld\" y2=\"%d\" stroke=\"#ddd\"/>", x, SY0, x, SY1);
		fprintf(out, "<text x=\"%ld\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">", x, SY1 + 16);
		tick_label(out, t[k]);
		fputs("</text>\n", out);
	}
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", SX0, SY1, SX1, SY1);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", SX0, SY0, SX0, SY1);
}

static bool contains(rpt_str hay, rpt_str needle)
{
	for (size_t i = 0; needle.n && i + needle.n <= hay.n; i++)
		if (memcmp(hay.p + i, needle.p, needle.n) == 0)
			return true;
	return false;
}

/* Axis name: the series name (cut at max bytes), the unit unless the name
 * has it already, and "log scale" when it is. */
static void axis_name(FILE *out, const rpt_chart *c, const rpt_series *s, const axis *a, size_t max)
{
	text_cut(out, s->name, max);
	bool unit = c->unit.n && !contains(s->name, c->unit);
	if (unit || a->log) {
		fputs(" (", out);
		if (unit)
			text_cut(out, c->unit, 30);
		fputs(unit && a->log ? ", " : "", out);
		fputs(a->log ? "log scale" : "", out);
		fputc(')', out);
	}
}

typedef struct box {
	long x0, y0, x1, y1;
} box;

/* Visible names for the first SVG_SCATTER_LABELS points, skipping any that
 * would overlap a name already placed (the <title>s and the table have all). */
static void scatter_labels(FILE *out, const rpt_chart *c, const axis *ax, const axis *ay)
{
	box placed[SVG_SCATTER_LABELS];
	size_t np = 0;
	const double *xv = c->series[0].values, *yv = c->series[1].values;
	for (size_t i = 0; i < c->nx && i < SVG_SCATTER_LABELS; i++) {
		if (!finite(xv[i]) || !finite(yv[i]))
			continue;
		long cx = sx(ax, xv[i]), cy = sy(ay, yv[i]);
		size_t len = c->xlabels[i].n < SVG_SCATTER_LABEL_MAX ? c->xlabels[i].n : SVG_SCATTER_LABEL_MAX;
		long wd = lround(6.0 * (double)len) + 2;
		bool left = cx + 6 + wd > SX1;
		box b = {left ? cx - 6 - wd : cx + 6, cy - 10, left ? cx - 6 : cx + 6 + wd, cy + 3};
		bool clash = false;
		for (size_t k = 0; k < np && !clash; k++)
			clash = b.x0 < placed[k].x1 && placed[k].x0 < b.x1 && b.y0 < placed[k].y1 && placed[k].y0 < b.y1;
		if (clash)
			continue;
		placed[np++] = b;
		fprintf(out, "<text x=\"%ld\" y=\"%ld\" text-anchor=\"%s\" font-size=\"10\">", left ? cx - 6 : cx + 6,
		        cy, left ? "end" : "start");
		text_cut(out, c->xlabels[i], SVG_SCATTER_LABEL_MAX);
		fputs("</text>\n", out);
	}
}

static void scatter_chart(FILE *out, const rpt_chart *c)
{
	if (c->nseries != RPT_SCATTER_SERIES) {
		fputs("<p class=\"muted\">Scatter chart without its x and y series.</p>\n", out);
		return;
	}
	size_t n = c->nx < SVG_MAX_POINTS ? c->nx : SVG_MAX_POINTS;
	axis ax, ay;
	axis_fit(&ax, c->series[0].values, n, true);
	axis_fit(&ay, c->series[1].values, n, true);
	svg_open(out, c, H);
	scatter_axes(out, &ax, &ay);
	const double *xv = c->series[0].values, *yv = c->series[1].values;
	for (size_t i = 0; i < n; i++) {
		if (!finite(xv[i]) || !finite(yv[i]))
			continue;
		fputs("<g><title>", out);
		text(out, c->xlabels[i]);
		fputs(": ", out);
		num(out, xv[i]);
		fputs(", ", out);
		num(out, yv[i]);
		fprintf(out, "</title><circle cx=\"%ld\" cy=\"%ld\" r=\"4\" fill=\"%s\" fill-opacity=\"0.75\" "
		             "stroke=\"#fff\"/></g>\n",
		        sx(&ax, xv[i]), sy(&ay, yv[i]), svg_color(0));
	}
	scatter_labels(out, c, &ax, &ay);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">", (SX0 + SX1) / 2, SY1 + 38);
	axis_name(out, c, &c->series[0], &ax, 60);
	fputs("</text>\n", out);
	/* the y name runs along the plot's height: ~30 characters fit */
	fprintf(out, "<text transform=\"rotate(-90)\" x=\"%d\" y=\"16\" text-anchor=\"middle\" font-size=\"12\">",
	        -(SY0 + SY1) / 2);
	axis_name(out, c, &c->series[1], &ay, 16);
	fputs("</text>\n", out);
	if (ax.zero || ay.zero)
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\">0 on a log axis: drawn on the axis "
		             "line</text>\n",
		        SX0 - 60, SY1 + 38);
	if (c->nx > n)
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%zu more points not "
		             "drawn</text>\n",
		        SX1, SY1 + 38, c->nx - n);
	fputs("</svg>\n", out);
}

void svg_chart(FILE *out, const rpt_chart *c)
{
	if (c->kind == RPT_CHART_STACKED) {
		stacked_chart(out, c);
		return;
	}
	if (c->kind == RPT_CHART_SCATTER) {
		scatter_chart(out, c);
		return;
	}
	double lo, hi;
	range_of(c, &lo, &hi);
	rpt_str names[SVG_MAX_LEGEND];
	size_t nn = series_names(c, names);
	svg_open(out, c, H + (legend_rows(nn, names) - 1) * LEGEND_ROW);
	axes(out, lo, hi);
	double gw = (double)(PX1 - PX0) / (double)c->nx;
	size_t ns = c->nseries ? c->nseries : 1;
	for (size_t s = 0; s < c->nseries; s++) {
		const double *v = c->series[s].values;
		if (c->kind == RPT_CHART_LINE) {
			fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			        svg_color(s));
			for (size_t i = 0; i < c->nx; i++) {
				double y = isnan(v[i]) || isinf(v[i]) ? 0 : v[i];
				fprintf(out, "%s%ld,%ld", i ? " " : "", lround(PX0 + gw * ((double)i + 0.5)),
				        ycoord(y, lo, hi));
			}
			fputs("\"/>\n", out);
		}
		for (size_t i = 0; i < c->nx; i++) {
			double y = isnan(v[i]) || isinf(v[i]) ? 0 : v[i];
			long x = lround(PX0 + gw * (double)i + gw * (double)s / (double)ns);
			long w = lround(gw / (double)ns) - (gw / (double)ns > 3 ? 1 : 0);
			long y0 = ycoord(0 > lo ? 0 : lo, lo, hi), y1 = ycoord(y, lo, hi);
			fputs("<g>", out);
			point_title(out, c, s, i);
			if (c->kind == RPT_CHART_LINE)
				fprintf(out, "<circle cx=\"%ld\" cy=\"%ld\" r=\"3\" fill=\"%s\"/>",
				        lround(PX0 + gw * ((double)i + 0.5)), y1, svg_color(s));
			else
				fprintf(out, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" fill=\"%s\"/>",
				        x, y1 < y0 ? y1 : y0, w < 1 ? 1 : w, labs(y0 - y1) < 1 ? 1 : labs(y0 - y1),
				        svg_color(s));
			fputs("</g>\n", out);
		}
	}
	chart_xlabels(out, c);
	legend(out, nn, names, H - 12);
	fputs("</svg>\n", out);
}

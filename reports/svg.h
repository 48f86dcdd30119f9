/*
 * svg.h — inline SVG charts for the HTML report: the event timeline (events
 * per hour — or per wider step when the case spans long — stacked by source,
 * findings marked) and the usage-dashboard charts (bar or line, one or more
 * series).
 *
 * Output is an <svg> element to embed in HTML: no script, no external
 * reference, no style sheet beyond presentation attributes. Every text from
 * the model (source names, titles, labels) is escaped with rtext_html_attr
 * (plain visible escapes, no markup: an HTML tag inside SVG would break out of
 * it). Coordinates are integers and numbers are formatted without the locale,
 * so the output is byte-for-byte deterministic.
 */
#ifndef LLMTRAIL_REPORTS_SVG_H
#define LLMTRAIL_REPORTS_SVG_H

#include <stdio.h>

#include "reports/report.h"

#define SVG_MAX_BARS 168

/* Formats v as "123", "-4.5", "0.25" (at most 2 decimals, no locale, no
 * exponent; NaN and infinities as "-"). Returns the length. */
size_t svg_fmt_num(double v, char out[40]);

/* Fill colour for series / source i (a fixed palette, cycled). */
const char *svg_color(size_t i);

/* The timeline chart; writes a short paragraph instead when no event was noted. */
void svg_timeline(FILE *out, const report *r);

/* One dashboard chart. */
void svg_chart(FILE *out, const rpt_chart *c);

#endif

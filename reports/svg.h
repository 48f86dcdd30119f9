/*
 * svg.h — inline SVG charts for the HTML report: the event timeline (events
 * per hour — or per wider step when the case spans long — stacked by source,
 * findings marked) and the usage-dashboard charts (one or more series):
 *  - bar: grouped bars; line: polylines with points;
 *  - stacked: one bar per x, series stacked bottom-up, y axis from 0 to the
 *    highest stack total rounded up to a 1/2/5 tick; every segment has a
 *    <title> "series @ x: value unit (total T)"; a segment thinner than one
 *    unit is not drawn (its value is in the table);
 *  - scatter: one circle per point with <title> "name: x, y", axes named by
 *    the two series; each axis is linear with 1/2/5 ticks from 0 (or from the
 *    lowest negative value), or logarithmic when its values are all >= 0 and
 *    the largest is more than 100 times the smallest positive one (over two
 *    decades a linear axis crowds the small points into a corner): from the
 *    power of ten at or below the smallest positive value to the one at or
 *    above the largest, ticks at powers of ten, zeros drawn on the axis line;
 *    the axis name then says "log scale". The first SVG_SCATTER_LABELS points
 *    also get a visible name where it does not overlap another.
 * Legends wrap onto more rows (the SVG grows to fit).
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

#include "model/report.h"

#define SVG_MAX_BARS 168
#define SVG_MAX_LEGEND 16         /* series named in a chart's legend */
#define SVG_MAX_POINTS 2000       /* scatter points drawn (the rest are counted) */
#define SVG_SCATTER_LABELS 8      /* scatter points given a visible name (the first ones) */
#define SVG_SCATTER_LABEL_MAX 24  /* bytes of a visible point name */

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

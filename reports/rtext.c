/*
 * rtext.c — sink-specific escaping (see rtext.h).
 *
 * One walker decodes the input character by character (strict UTF-8, per the
 * Unicode Standard's table 3-7: no overlongs, no surrogates, nothing past
 * U+10FFFF) and classifies each as: an invalid byte, an invisible character,
 * or an ordinary character. Each sink supplies how to write an ordinary
 * ASCII byte (its metacharacters) and how to write a visible escape; the
 * walker does the rest, so every sink treats hostile input the same way.
 * JSON strings are ingest/json.h's json_write_string (one JSON escaper).
 * References: HTML Living Standard §13.1 (text and attribute contexts),
 * XML 1.0 §2.2 (Char), RFC 4180, CommonMark 0.30 §2.4, OWASP
 * "CSV Injection".
 */
#include "reports/rtext.h"

#include "common/buf.h"
#include "common/textesc.h"
#include "ingest/json.h"

#include <stdlib.h>
#include <string.h>

size_t rtext_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	return lt_utf8_decode(p, n, cp);
}

bool rtext_is_invisible(uint32_t c)
{
	return lt_is_invisible(c);
}

typedef struct sink {
	FILE *out;
	unsigned flags;
	/* Writes the printable ASCII byte c (or '\n' / '\t' under RTEXT_KEEP_NL). */
	void (*ascii)(const struct sink *s, unsigned char c);
	/* Writes the visible escape text e[0..n). */
	void (*visible)(const struct sink *s, const char *e, size_t n);
} sink;

static void walk(const sink *s, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;
	while (i < n) {
		uint32_t c = 0;
		size_t len = rtext_utf8_decode(p + i, n - i, &c);
		char e[16];
		if (len == 0) {
			s->visible(s, e, lt_visible_escape(p[i], true, e));
			i++;
			continue;
		}
		bool keep = (s->flags & RTEXT_KEEP_NL) && (c == '\n' || c == '\t');
		if (rtext_is_invisible(c) && !keep)
			s->visible(s, e, lt_visible_escape(c, false, e));
		else if (c < 0x80)
			s->ascii(s, (unsigned char)c);
		else
			fwrite(p + i, 1, len, s->out);
		i += len;
	}
}

/* ---- HTML ---------------------------------------------------------------- */

static void html_ascii(const sink *s, unsigned char c)
{
	switch (c) {
	case '&': fputs("&amp;", s->out); break;
	case '<': fputs("&lt;", s->out); break;
	case '>': fputs("&gt;", s->out); break;
	case '"': fputs("&quot;", s->out); break;
	case '\'': fputs("&#39;", s->out); break;
	default: fputc(c, s->out); break;
	}
}

static void html_visible_span(const sink *s, const char *e, size_t n)
{
	fputs("<span class=\"esc\">", s->out);
	fwrite(e, 1, n, s->out); /* only '\\', letters, digits, braces */
	fputs("</span>", s->out);
}

static void plain_visible(const sink *s, const char *e, size_t n)
{
	fwrite(e, 1, n, s->out);
}

void rtext_html(FILE *out, const char *p, size_t n, unsigned flags)
{
	sink s = {out, flags, html_ascii, html_visible_span};
	walk(&s, p, n);
}

void rtext_html_attr(FILE *out, const char *p, size_t n)
{
	sink s = {out, 0, html_ascii, plain_visible};
	walk(&s, p, n);
}

/* ---- XML ----------------------------------------------------------------- */

static void xml_ascii(const sink *s, unsigned char c)
{
	switch (c) {
	case '&': fputs("&amp;", s->out); break;
	case '<': fputs("&lt;", s->out); break;
	case '>': fputs("&gt;", s->out); break;
	case '"': fputs("&quot;", s->out); break;
	case '\'': fputs("&apos;", s->out); break;
	case '\n': fputs((s->flags & RTEXT_ATTR) ? "&#10;" : "\n", s->out); break;
	case '\t': fputs((s->flags & RTEXT_ATTR) ? "&#9;" : "\t", s->out); break;
	default: fputc(c, s->out); break;
	}
}

void rtext_xml(FILE *out, const char *p, size_t n, unsigned flags)
{
	sink s = {out, flags, xml_ascii, plain_visible};
	walk(&s, p, n);
}

/* ---- JSON ---------------------------------------------------------------- */

void rtext_json(FILE *out, const char *text, size_t n)
{
	buf b;
	buf_init(&b, 0);
	if (json_write_string(&b, n ? text : "", n) == LT_OK)
		fwrite(b.data, 1, b.len, out);
	else
		fputs("\"\"", out); /* out of memory: the writer's ferror check cannot see it */
	buf_free(&b);
}

/* ---- CSV ----------------------------------------------------------------- */

void rtext_csv(FILE *out, const char *text, size_t n)
{
	buf b;
	buf_init(&b, 0);
	if (lt_csv_cell(&b, text, n, 0) == LT_OK && b.len > 0)
		fwrite(b.data, 1, b.len, out);
	/* out of memory: the cell is left empty */
	buf_free(&b);
}

/* ---- Markdown ------------------------------------------------------------ */

static void md_ascii(const sink *s, unsigned char c)
{
	if (c != ' ' && c < 0x7F && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') &&
	    !(c >= 'a' && c <= 'z'))
		fputc('\\', s->out);
	fputc(c, s->out);
}

static void md_visible(const sink *s, const char *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		md_ascii(s, (unsigned char)e[i]);
}

void rtext_md(FILE *out, const char *p, size_t n)
{
	sink s = {out, 0, md_ascii, md_visible};
	walk(&s, p, n);
}

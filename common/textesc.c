/*
 * textesc.c — visible escapes for untrusted text (see textesc.h): a strict
 * UTF-8 decoder, the table of invisible and reordering characters, and the
 * escaper every terminal line goes through.
 */
#include "config.h"

#include "common/textesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t lt_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1Fu;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0Fu;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

bool lt_is_invisible(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x061C || c == 0x180E ||
	       (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
	       (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) ||
	       c == 0xFFFE || c == 0xFFFF || (c >= 0xE0000 && c <= 0xE007F) ||
	       (c >= 0xE0100 && c <= 0xE01EF);
}

/* A visible escape for a code point (invalid == true: a raw byte). */
size_t lt_visible_escape(uint32_t c, bool invalid, char out[16])
{
	if (!invalid && c == '\n')
		return (size_t)snprintf(out, 16, "\\n");
	if (!invalid && c == '\t')
		return (size_t)snprintf(out, 16, "\\t");
	if (!invalid && c == '\r')
		return (size_t)snprintf(out, 16, "\\r");
	if (invalid || c < 0x100)
		return (size_t)snprintf(out, 16, "\\x%02X", (unsigned)c);
	if (c <= 0xFFFF)
		return (size_t)snprintf(out, 16, "\\u%04X", (unsigned)c);
	return (size_t)snprintf(out, 16, "\\u{%X}", (unsigned)c);
}

void lt_escape(const char *text, size_t n, unsigned flags, void (*put)(void *ctx, const char *s, size_t len),
               void *ctx)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, run = 0; /* p[run..i) is kept as it is */
	char e[16];
	while (i < n) {
		uint32_t c = 0;
		size_t len = lt_utf8_decode(p + i, n - i, &c);
		bool kept = (c == '\t' && (flags & LT_ESC_KEEP_TAB)) || (c == '\n' && (flags & LT_ESC_KEEP_NL));
		bool shown = len == 0 || (lt_is_invisible(c) && !kept) ||
		             (c == '\\' && (flags & LT_ESC_BACKSLASH));
		if (!shown) {
			i += len;
			continue;
		}
		if (i > run)
			put(ctx, text + run, i - run);
		if (len == 0)
			put(ctx, e, lt_visible_escape(p[i], true, e));
		else if (c == '\\')
			put(ctx, "\\\\", 2);
		else
			put(ctx, e, lt_visible_escape(c, false, e));
		i += len ? len : 1;
		run = i;
	}
	if (i > run)
		put(ctx, text + run, i - run);
}

typedef struct buf_sink {
	buf *b;
	lt_status st;
} buf_sink;

static void put_buf(void *ctx, const char *s, size_t len)
{
	buf_sink *k = ctx;
	if (k->st == LT_OK)
		k->st = buf_append(k->b, s, len);
}

lt_status lt_escape_buf(buf *out, const char *p, size_t n, unsigned flags)
{
	buf_sink k = {out, LT_OK};
	lt_escape(p, n, flags, put_buf, &k);
	return k.st;
}

/* ---- CSV cells ------------------------------------------------------------ */

/* Printable ASCII (0x20..0x7E): copied to a CSV cell as is. */
static bool csv_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7F;
}

/* Appends the cell's text, escaped but not yet quoted, to out; *special says
 * whether it holds a ',', '"' or newline (the cell must then be quoted). */
static lt_status csv_text(buf *out, const unsigned char *p, size_t n, bool *special)
{
	lt_status st = LT_OK;
	for (size_t i = 0; i < n && st == LT_OK;) {
		size_t run = i;
		while (run < n && csv_plain(p[run])) {
			*special = *special || p[run] == ',' || p[run] == '"';
			run++;
		}
		if (run > i) {
			st = buf_append(out, p + i, run - i);
			i = run;
			continue;
		}
		uint32_t c = 0;
		size_t len = lt_utf8_decode(p + i, n - i, &c);
		char e[16];
		if (len == 0) {
			st = buf_append(out, e, lt_visible_escape(p[i], true, e));
			i++;
			continue;
		}
		if (lt_is_invisible(c) && c != '\n' && c != '\t')
			st = buf_append(out, e, lt_visible_escape(c, false, e));
		else {
			*special = *special || c == '\n';
			st = buf_append(out, p + i, len);
		}
		i += len;
	}
	return st;
}

/*
 * Runs of printable ASCII (nearly every byte of a log field) are appended
 * with one copy; only the other bytes go through the UTF-8 walker. The cell
 * is escaped in place at the end of out and, in the rare case it must be
 * quoted, moved once to make room for the quotes.
 */
lt_status lt_csv_cell(buf *out, const char *text, size_t n, unsigned flags)
{
	size_t at = out->len;
	bool special = false;
	if (csv_text(out, (const unsigned char *)text, n, &special) != LT_OK)
		return LT_EFATAL;
	size_t len = out->len - at;
	bool formula = len > 0 && strchr("=+-@\t\r", out->data[at]) != NULL;
	bool quote = formula || special ||
	             (len > 0 && (out->data[at] == ' ' || out->data[out->len - 1] == ' ')) ||
	             ((flags & LT_CSV_QUOTE_SPACE) && memchr(out->data + at, ' ', len) != NULL);
	if (!quote)
		return LT_OK;
	char *cell = malloc(len + 1);
	if (cell == NULL)
		return LT_EFATAL;
	memcpy(cell, out->data + at, len);
	out->len = at;
	lt_status st = buf_putc(out, '"');
	if (st == LT_OK && formula)
		st = buf_putc(out, '\'');
	size_t from = 0;
	for (const char *q; st == LT_OK && from < len && (q = memchr(cell + from, '"', len - from)) != NULL;) {
		size_t upto = (size_t)(q - cell) + 1; /* through the quote, which is then doubled */
		st = buf_append(out, cell + from, upto - from);
		if (st == LT_OK)
			st = buf_putc(out, '"');
		from = upto;
	}
	if (st == LT_OK && from < len)
		st = buf_append(out, cell + from, len - from);
	if (st == LT_OK)
		st = buf_putc(out, '"');
	free(cell);
	return st;
}

/*
 * textesc.c — visible escapes for untrusted text (see textesc.h): a strict
 * UTF-8 decoder, the table of invisible and reordering characters, and the
 * escaper every terminal line goes through.
 */
#include "config.h"

#include "common/textesc.h"

#include <stdio.h>

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

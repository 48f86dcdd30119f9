/*
 * error.c — filling and printing lt_error records (see error.h).
 * Nothing here allocates: an error must be reportable when memory is gone.
 */
#include "common/error.h"

#include "common/textesc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lt_error_clear(lt_error *e)
{
	if (e == NULL)
		return;
	e->status = LT_OK;
	e->file[0] = '\0';
	e->member[0] = '\0';
	e->line = 0;
	e->offset = 0;
	e->msg[0] = '\0';
}

lt_status lt_error_set(lt_error *e, lt_status status, const char *fmt, ...)
{
	if (e == NULL)
		return status;
	e->status = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return status;
}

static void copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void lt_error_where(lt_error *e, const char *file, const char *member, uint64_t line)
{
	if (e == NULL)
		return;
	if (file != NULL)
		copy_bounded(e->file, sizeof e->file, file);
	if (member != NULL)
		copy_bounded(e->member, sizeof e->member, member);
	e->line = line;
}

/* Appends text to out[*len..n), escaping control bytes; keeps *len as the full length. */
typedef struct fixed_out {
	char *out;
	size_t n, *len;
} fixed_out;

static void put_fixed(void *ctx, const char *s, size_t k)
{
	fixed_out *f = ctx;
	for (size_t i = 0; i < k; i++, (*f->len)++)
		if (f->n > 0 && *f->len < f->n - 1)
			f->out[*f->len] = s[i];
}

/* Appends text to out[0..n) by the terminal rules of textesc.h (counting what
 * did not fit in *len, as snprintf does). */
static void put_escaped(char *out, size_t n, size_t *len, const char *text)
{
	fixed_out f = {out, n, len};
	lt_escape(text, strlen(text), 0, put_fixed, &f);
}

size_t lt_error_format(const lt_error *e, char *out, size_t n)
{
	size_t len = 0;
	char num[48];
	if (e->file[0] != '\0') {
		put_escaped(out, n, &len, e->file);
		put_escaped(out, n, &len, ": ");
	}
	if (e->member[0] != '\0') {
		put_escaped(out, n, &len, e->member);
		put_escaped(out, n, &len, ": ");
	}
	if (e->line > 0) {
		snprintf(num, sizeof num, "line %llu: ", (unsigned long long)e->line);
		put_escaped(out, n, &len, num);
	}
	if (e->offset > 0) {
		snprintf(num, sizeof num, "offset %llu: ", (unsigned long long)e->offset);
		put_escaped(out, n, &len, num);
	}
	put_escaped(out, n, &len, e->msg[0] != '\0' ? e->msg : lt_status_name(e->status));
	if (n > 0)
		out[len < n ? len : n - 1] = '\0';
	return len;
}

const char *lt_status_name(lt_status s)
{
	switch (s) {
	case LT_OK:
		return "ok";
	case LT_EITEM:
		return "item";
	case LT_EFILE:
		return "file";
	case LT_EFATAL:
		return "fatal";
	}
	return "unknown";
}

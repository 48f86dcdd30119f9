/*
 * buf.c — bounded growable byte buffer (see buf.h). Grows by doubling; one
 * extra byte is always kept for the terminating NUL.
 */
#include "common/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void buf_free(buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static lt_status grow(buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return LT_EITEM;
	size_t need = b->len + extra;
	if (b->cap != 0 && need > b->cap)
		return LT_EITEM;
	if (need + 1 <= b->alloc)
		return LT_OK;
	size_t size = b->alloc != 0 ? b->alloc : 256;
	while (size < need + 1)
		size = size > SIZE_MAX / 2 ? need + 1 : size * 2;
	if (b->cap != 0 && size > b->cap + 1)
		size = b->cap + 1;
	char *p = realloc(b->data, size);
	if (p == NULL)
		return LT_EFATAL;
	b->data = p;
	b->alloc = size;
	return LT_OK;
}

lt_status buf_append(buf *b, const void *data, size_t n)
{
	lt_status st = grow(b, n);
	if (st != LT_OK)
		return st;
	if (n > 0)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return LT_OK;
}

lt_status buf_putc(buf *b, char c)
{
	return buf_append(b, &c, 1);
}

lt_status buf_puts(buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

lt_status buf_vprintf(buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n < 0)
		return LT_EITEM;
	if ((size_t)n < sizeof small)
		return buf_append(b, small, (size_t)n);
	lt_status st = grow(b, (size_t)n);
	if (st != LT_OK)
		return st;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return LT_OK;
}

lt_status buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lt_status st = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return st;
}

char *buf_reserve(buf *b, size_t n)
{
	if (grow(b, n) != LT_OK)
		return NULL;
	return b->data + b->len;
}

void buf_commit(buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

const char *buf_cstr(buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *buf_detach(buf *b, size_t *len)
{
	char *p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

/*
 * buf.h — bounded growable byte buffer.
 *
 * Every buffer fed by evidence has a cap set where it is created; appending
 * past the cap fails with LT_EITEM and leaves the buffer as it was, so the
 * caller can report "line longer than N bytes" instead of running out of
 * memory. The struct is public so that a buffer can live on the stack or
 * inside another struct; treat its fields as read-only.
 *
 * Ownership: the buffer owns data; buf_free releases it and leaves an empty,
 * reusable buffer. data is NUL-terminated whenever len > 0 or after buf_cstr.
 */
#ifndef LLMTRAIL_COMMON_BUF_H
#define LLMTRAIL_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/status.h"

typedef struct buf {
	char *data;
	size_t len;
	size_t alloc; /* bytes allocated for data */
	size_t cap;   /* most bytes len may reach; 0 = unlimited */
} buf;

void buf_init(buf *b, size_t cap);
void buf_free(buf *b);
/* len = 0, memory kept. */
void buf_reset(buf *b);

/* LT_OK, or LT_EITEM past the cap, or LT_EFATAL out of memory; unchanged on failure. */
lt_status buf_append(buf *b, const void *data, size_t n) LT_WUR;
lt_status buf_putc(buf *b, char c) LT_WUR;
lt_status buf_puts(buf *b, const char *s) LT_WUR;
lt_status buf_printf(buf *b, const char *fmt, ...) LT_PRINTF(2, 3) LT_WUR;
lt_status buf_vprintf(buf *b, const char *fmt, va_list ap) LT_PRINTF(2, 0) LT_WUR;
/* Makes room for n more bytes; returns a pointer to them (commit with buf_commit). */
char *buf_reserve(buf *b, size_t n) LT_WUR;
void buf_commit(buf *b, size_t n);

/* Always a valid NUL-terminated string ("" for an empty buffer). */
const char *buf_cstr(buf *b);

/* Hands the data to the caller (free() it) and leaves b empty. NULL if empty. */
char *buf_detach(buf *b, size_t *len);

#endif

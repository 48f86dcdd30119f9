/*
 * decode_fixture.h — shared by the decoder unit tests: reading fixture files
 * from tests/data/decode/, a sink that collects what a decoder delivers, and
 * slice assertions. Static functions only (each test program includes it once).
 */
#ifndef LLMTRAIL_TESTS_DECODE_FIXTURE_H
#define LLMTRAIL_TESTS_DECODE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/decode.h"
#include "ingest/event.h"

#define COLLECT_MAX 64

typedef struct collected {
	event ev[COLLECT_MAX];
	size_t n;
	lt_error problems[COLLECT_MAX];
	size_t np;
	const json_value *digest;
	const json_value *object;
	int flushes;
	size_t stop_after; /* on_event returns LT_EFILE after this many (0 = never) */
} collected;

static inline lt_status col_event(void *ctx, const event *ev)
{
	collected *c = ctx;
	if (c->n < COLLECT_MAX)
		c->ev[c->n] = *ev;
	c->n++;
	return c->stop_after != 0 && c->n >= c->stop_after ? LT_EFILE : LT_OK;
}

static inline void col_problem(void *ctx, const lt_error *e)
{
	collected *c = ctx;
	if (c->np < COLLECT_MAX)
		c->problems[c->np] = *e;
	c->np++;
}

static inline lt_status col_digest(void *ctx, const json_value *doc)
{
	((collected *)ctx)->digest = doc;
	return LT_OK;
}

static inline lt_status col_object(void *ctx, const json_value *doc)
{
	((collected *)ctx)->object = doc;
	return LT_OK;
}

static inline lt_status col_flush(void *ctx)
{
	((collected *)ctx)->flushes++;
	return LT_OK;
}

static inline decode_sink col_sink(collected *c)
{
	decode_sink s = {c, col_event, col_problem, col_digest, col_object, col_flush, NULL};
	return s;
}

/* Reads tests/data/decode/<name> (from $LLMTRAIL_SRCDIR, else the parent of the build dir). */
static inline char *fixture(const char *name, size_t *len)
{
	const char *src = getenv("LLMTRAIL_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/decode/%s", src != NULL ? src : "..", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open fixture %s", path);
	char *data = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap * 2 + 8192;
			data = realloc(data, cap);
			assert_non_null(data);
		}
		size_t got = fread(data + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

static inline const event *find_uid(const collected *c, const char *uid)
{
	for (size_t i = 0; i < c->n && i < COLLECT_MAX; i++)
		if (ev_str_eq(c->ev[i].uid, uid))
			return &c->ev[i];
	static event none;
	fail_msg("no event with uid %s", uid);
	return &none;
}

/* Compares a slice with a C string; NULL expects an absent (empty) slice. */
static inline void check_str(ev_str s, const char *expect, const char *what)
{
	char got[8192];
	size_t n = s.n < sizeof got - 1 ? s.n : sizeof got - 1;
	if (n > 0)
		memcpy(got, s.p, n);
	got[n] = '\0';
	if (expect == NULL) {
		if (s.n != 0)
			fail_msg("%s: expected absent, got \"%s\"", what, got);
		return;
	}
	if (s.n != strlen(expect) || memcmp(s.p, expect, s.n) != 0)
		fail_msg("%s: expected \"%s\", got \"%s\"", what, expect, got);
}

#define CHECK_STR(s, expect) check_str((s), (expect), #s)

#endif

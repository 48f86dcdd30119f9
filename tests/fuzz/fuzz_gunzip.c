/*
 * fuzz_gunzip.c — libFuzzer target for ingest/gunzip. Small caps keep each
 * run fast. Checks the contract: data present exactly on LT_OK/LT_EITEM,
 * within max_output, damage offset inside the input, gunzip_buffer_reuse
 * (whose buffer lives across runs) giving the same bytes as gunzip_buffer,
 * and gunzip_stream (the path of members too large to hold) giving the same
 * status, message, offset, length, bytes and hash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/gunzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gunzip_result reused; /* kept across runs on purpose */

typedef struct sink {
	unsigned char *p;
	size_t n, cap;
} sink;

static lt_status collect(void *ctx, const unsigned char *p, size_t n, lt_error *err)
{
	(void)err;
	sink *s = ctx;
	if (s->n + n > s->cap)
		abort(); /* more than max_output plus one piece: the cap did not hold */
	memcpy(s->p + s->n, p, n);
	s->n += n;
	return LT_OK;
}

/* gunzip_stream on the same input gives what gunzip_buffer gave (st, r, err). */
static void same_as_stream(const uint8_t *data, size_t size, const gunzip_options *o, lt_status st,
                           const gunzip_result *r, const lt_error *err)
{
	static unsigned char out[(4u << 20) + GUNZIP_STREAM_PIECE];
	sink s = {out, 0, sizeof out};
	gunzip_result rs;
	lt_error e2;
	lt_error_clear(&e2);
	lt_status st3 = gunzip_stream(data, size, o, collect, &s, &rs, &e2);
	if (st3 != st || strcmp(e2.msg, err->msg) != 0 || e2.offset != err->offset)
		abort();
	if ((st == LT_OK || st == LT_EITEM) &&
	    (rs.len != r->len || s.n != r->len || (r->len > 0 && memcmp(out, r->data, r->len) != 0) ||
	     strcmp(rs.sha256, r->sha256) != 0))
		abort();
	gunzip_result_free(&rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gunzip_options o;
	gunzip_options_init(&o);
	o.max_output = 4u << 20;
	o.bomb_min_output = 1u << 20;
	o.bomb_max_ratio = 1000;
	o.want_sha256 = size > 0 && (data[size - 1] & 1);
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	lt_status st = gunzip_buffer(data, size, &o, &r, &err);
	if (st == LT_OK || st == LT_EITEM) {
		if (r.data == NULL || r.len > o.max_output || r.len > r.cap)
			abort();
		if (st == LT_EITEM && err.offset > size)
			abort();
	} else if (r.data != NULL || r.len != 0) {
		abort();
	}
	same_as_stream(data, size, &o, st, &r, &err);
	lt_status st2 = gunzip_buffer_reuse(data, size, &o, &reused, NULL);
	if (st2 != st || reused.len != r.len ||
	    (r.len > 0 && memcmp(reused.data, r.data, r.len) != 0) ||
	    strcmp(reused.sha256, r.sha256) != 0)
		abort();
	gunzip_result_free(&r);
	return 0;
}

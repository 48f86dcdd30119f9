/*
 * fuzz_gunzip.c — libFuzzer target for ingest/gunzip. Small caps keep each
 * run fast. Checks the contract: data present exactly on LT_OK/LT_EITEM,
 * within max_output, damage offset inside the input, and gunzip_buffer_reuse
 * (whose buffer lives across runs) giving the same bytes as gunzip_buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/gunzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gunzip_result reused; /* kept across runs on purpose */

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
	lt_status st2 = gunzip_buffer_reuse(data, size, &o, &reused, NULL);
	if (st2 != st || reused.len != r.len ||
	    (r.len > 0 && memcmp(reused.data, r.data, r.len) != 0) ||
	    strcmp(reused.sha256, r.sha256) != 0)
		abort();
	gunzip_result_free(&r);
	return 0;
}

/*
 * test_gunzip.c — ingest/gunzip: round trips, multi-member, damage recovery,
 * caps (bomb ratio, max output), SHA-256 of the output.
 * Inputs are made here with zlib; hashes are checked with OpenSSL directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "ingest/gunzip.h"

/* ---- helpers ---------------------------------------------------------- */

/* gzip of data at level, malloc'd; *outlen set. */
static unsigned char *gz(const void *data, size_t len, int level, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)len) + 64;
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* gzip of n zero bytes, streamed (no n-byte input buffer). */
static unsigned char *gz_zeros(size_t n, size_t *outlen)
{
	static unsigned char zeros[1 << 16];
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = n / 500 + 4096, used = 0;
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	size_t left = n;
	for (;;) {
		size_t chunk = left < sizeof zeros ? left : sizeof zeros;
		z.next_in = zeros;
		z.avail_in = (uInt)chunk;
		left -= chunk;
		int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
		int rc;
		do {
			z.next_out = out + used;
			z.avail_out = (uInt)(cap - used);
			rc = deflate(&z, flush);
			used = cap - z.avail_out;
			assert_true(used < cap);
		} while (z.avail_in > 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
		if (flush == Z_FINISH)
			break;
	}
	deflateEnd(&z);
	*outlen = used;
	return out;
}

/* Deterministic CloudTrail-looking JSON text of about n bytes. */
static char *json_text(size_t n, size_t *len)
{
	char *t = malloc(n + 512);
	assert_non_null(t);
	size_t k = 0;
	unsigned seed = 12345;
	for (unsigned i = 0; k < n; i++) {
		seed = seed * 1103515245u + 12345u;
		k += (size_t)snprintf(t + k, n + 512 - k,
			"{\"eventID\":\"%08x-%04u\",\"eventName\":\"InvokeModel\",\"n\":%u}\n",
			seed, i % 10000, seed % 977);
	}
	*len = k;
	return t;
}

static void hex_of(const void *data, size_t len, char out[65])
{
	unsigned char d[32];
	unsigned int dl = 0;
	assert_int_equal(EVP_Digest(data, len, d, &dl, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- tests ------------------------------------------------------------ */

static void gunzip__single_member__round_trips_with_sha256(void **state)
{
	(void)state;
	size_t tlen, zlen;
	char *text = json_text(300000, &tlen);
	unsigned char *z = gz(text, tlen, 6, &zlen);
	gunzip_options o;
	gunzip_options_init(&o);
	o.want_sha256 = true;
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(gunzip_buffer(z, zlen, &o, &r, &err), LT_OK);
	assert_int_equal(r.len, tlen);
	assert_memory_equal(r.data, text, tlen);
	assert_int_equal(r.members, 1);
	char want[65];
	hex_of(text, tlen, want);
	assert_string_equal(r.sha256, want);
	gunzip_result_free(&r);
	assert_null(r.data);
	free(z);
	free(text);
}

static void gunzip__multi_member__concatenates_all(void **state)
{
	(void)state;
	/* Big first member, tiny last one: the ISIZE hint is far too small. */
	size_t alen, blen, za, zb, zc;
	char *a = json_text(200000, &alen);
	char *b = json_text(10, &blen);
	unsigned char *pa = gz(a, alen, 1, &za);
	unsigned char *pb = gz(b, blen, 9, &zb);
	unsigned char *pc = gz("", 0, 6, &zc);
	size_t n = za + zb + zc + za;
	unsigned char *all = malloc(n);
	assert_non_null(all);
	memcpy(all, pa, za);
	memcpy(all + za, pc, zc);
	memcpy(all + za + zc, pb, zb);
	memcpy(all + za + zc + zb, pa, za);
	gunzip_result r;
	assert_int_equal(gunzip_buffer(all, n, NULL, &r, NULL), LT_OK);
	assert_int_equal(r.members, 4);
	assert_int_equal(r.len, 2 * alen + blen);
	assert_memory_equal(r.data, a, alen);
	assert_memory_equal(r.data + alen, b, blen);
	assert_memory_equal(r.data + alen + blen, a, alen);
	assert_string_equal(r.sha256, "");
	gunzip_result_free(&r);
	free(all);
	free(pa);
	free(pb);
	free(pc);
	free(a);
	free(b);
}

static void gunzip__truncated__recovers_prefix_and_offset(void **state)
{
	(void)state;
	size_t tlen, zlen;
	char *text = json_text(1000000, &tlen);
	unsigned char *z = gz(text, tlen, 6, &zlen);
	size_t cut = zlen / 2;
	gunzip_options o;
	gunzip_options_init(&o);
	o.want_sha256 = true;
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(gunzip_buffer(z, cut, &o, &r, &err), LT_EITEM);
	assert_int_equal(err.status, LT_EITEM);
	assert_int_equal(err.offset, cut);
	assert_non_null(strstr(err.msg, "truncated gzip"));
	assert_true(r.len > tlen / 3 && r.len < tlen);
	assert_memory_equal(r.data, text, r.len);
	char want[65];
	hex_of(text, r.len, want);
	assert_string_equal(r.sha256, want);
	char expect[128];
	snprintf(expect, sizeof expect, "%zu bytes recovered before offset %zu", r.len, cut);
	assert_non_null(strstr(err.msg, expect));
	gunzip_result_free(&r);
	free(z);
	free(text);
}

static void gunzip__corrupt_middle__recovers_prefix(void **state)
{
	(void)state;
	size_t tlen, zlen;
	char *text = json_text(1000000, &tlen);
	unsigned char *z = gz(text, tlen, 6, &zlen);
	for (size_t i = zlen / 2; i < zlen / 2 + 64; i++)
		z[i] = (unsigned char)(z[i] ^ 0x5a);
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	lt_status st = gunzip_buffer(z, zlen, NULL, &r, &err);
	assert_int_equal(st, LT_EITEM);
	assert_non_null(strstr(err.msg, "corrupt gzip"));
	assert_true(err.offset >= zlen / 2 - 65536 && err.offset <= zlen);
	/* Damaged deflate data may still decode (to garbage) until the CRC
	 * check: the prefix before the damage is what must be intact. */
	assert_true(r.len > 0);
	size_t same = 0;
	while (same < r.len && r.data[same] == (unsigned char)text[same])
		same++;
	assert_true(same > tlen / 4);
	gunzip_result_free(&r);
	free(z);
	free(text);
}

static void gunzip__zeros_bomb__refused_with_both_sizes(void **state)
{
	(void)state;
	size_t zlen;
	unsigned char *z = gz_zeros((size_t)200 << 20, &zlen);
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(gunzip_buffer(z, zlen, NULL, &r, &err), LT_EFILE);
	assert_null(r.data);
	assert_int_equal(r.len, 0);
	assert_non_null(strstr(err.msg, "decompression bomb"));
	char insize[64];
	snprintf(insize, sizeof insize, "from %zu compressed bytes", zlen);
	assert_non_null(strstr(err.msg, insize));
	/* Under the ratio threshold, a small bomb of zeros is fine. */
	free(z);
	z = gz_zeros((size_t)1 << 20, &zlen);
	assert_int_equal(gunzip_buffer(z, zlen, NULL, &r, &err), LT_OK);
	assert_int_equal(r.len, (size_t)1 << 20);
	gunzip_result_free(&r);
	free(z);
}

static void gunzip__over_max_output__refused(void **state)
{
	(void)state;
	size_t tlen, zlen;
	char *text = json_text(100000, &tlen);
	unsigned char *z = gz(text, tlen, 6, &zlen);
	gunzip_options o;
	gunzip_options_init(&o);
	o.max_output = 50000;
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(gunzip_buffer(z, zlen, &o, &r, &err), LT_EFILE);
	assert_non_null(strstr(err.msg, "larger than the limit of 50000 bytes"));
	assert_null(r.data);
	o.max_output = tlen; /* exactly enough */
	assert_int_equal(gunzip_buffer(z, zlen, &o, &r, &err), LT_OK);
	assert_int_equal(r.len, tlen);
	gunzip_result_free(&r);
	free(z);
	free(text);
}

static void gunzip__not_gzip_or_empty__efile(void **state)
{
	(void)state;
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(gunzip_buffer("{\"Records\":[]}", 14, NULL, &r, &err), LT_EFILE);
	assert_non_null(strstr(err.msg, "not gzip"));
	assert_null(r.data);
	assert_int_equal(gunzip_buffer("", 0, NULL, &r, &err), LT_EFILE);
	/* A header and nothing else: nothing recoverable. */
	static const unsigned char hdr[] = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3};
	assert_int_equal(gunzip_buffer(hdr, sizeof hdr, NULL, &r, &err), LT_EFILE);
	assert_null(r.data);
	assert_true(gunzip_is_gzip(hdr, sizeof hdr));
	assert_false(gunzip_is_gzip(hdr, 2));
	assert_false(gunzip_is_gzip("PK\003\004", 4));
}

static void gunzip__trailing_zeros_ok_garbage_item(void **state)
{
	(void)state;
	size_t zlen;
	unsigned char *z = gz("hello\n", 6, 6, &zlen);
	unsigned char *padded = calloc(1, zlen + 512);
	assert_non_null(padded);
	memcpy(padded, z, zlen);
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(gunzip_buffer(padded, zlen + 512, NULL, &r, &err), LT_OK);
	assert_int_equal(r.len, 6);
	assert_memory_equal(r.data, "hello\n", 6);
	gunzip_result_free(&r);
	memcpy(padded + zlen, "junk", 4);
	assert_int_equal(gunzip_buffer(padded, zlen + 512, NULL, &r, &err), LT_EITEM);
	assert_int_equal(err.offset, zlen);
	assert_non_null(strstr(err.msg, "trailing garbage"));
	assert_int_equal(r.len, 6);
	assert_memory_equal(r.data, "hello\n", 6);
	gunzip_result_free(&r);
	free(padded);
	free(z);
}

static void gunzip__empty_member__ok_with_non_null_data(void **state)
{
	(void)state;
	size_t zlen;
	unsigned char *z = gz("", 0, 6, &zlen);
	gunzip_options o;
	gunzip_options_init(&o);
	o.want_sha256 = true;
	gunzip_result r;
	assert_int_equal(gunzip_buffer(z, zlen, &o, &r, NULL), LT_OK);
	assert_non_null(r.data);
	assert_int_equal(r.len, 0);
	assert_string_equal(r.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	gunzip_result_free(&r);
	free(z);
}

static void gunzip__bad_crc__keeps_data_as_item(void **state)
{
	(void)state;
	size_t zlen;
	unsigned char *z = gz("0123456789", 10, 6, &zlen);
	z[zlen - 8] ^= 0xff; /* CRC32 trailer */
	gunzip_result r;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(gunzip_buffer(z, zlen, NULL, &r, &err), LT_EITEM);
	assert_non_null(strstr(err.msg, "corrupt gzip"));
	assert_int_equal(r.len, 10);
	assert_memory_equal(r.data, "0123456789", 10);
	gunzip_result_free(&r);
	free(z);
}

static void gunzip__reuse__keeps_buffer_across_calls_and_failures(void **state)
{
	(void)state;
	size_t alen, blen, za, zb;
	char *a = json_text(200000, &alen);
	char *b = json_text(1000, &blen);
	unsigned char *pa = gz(a, alen, 6, &za);
	unsigned char *pb = gz(b, blen, 6, &zb);
	gunzip_result r = {0};
	assert_int_equal(gunzip_buffer_reuse(pa, za, NULL, &r, NULL), LT_OK);
	assert_int_equal(r.len, alen);
	assert_memory_equal(r.data, a, alen);
	unsigned char *first = r.data;
	assert_true(r.cap >= alen);
	assert_int_equal(gunzip_buffer_reuse(pb, zb, NULL, &r, NULL), LT_OK);
	assert_ptr_equal(r.data, first);
	assert_int_equal(r.len, blen);
	assert_memory_equal(r.data, b, blen);
	assert_int_equal(gunzip_buffer_reuse("nope", 4, NULL, &r, NULL), LT_EFILE);
	assert_ptr_equal(r.data, first);
	assert_int_equal(r.len, 0);
	assert_int_equal(gunzip_buffer_reuse(pa, za, NULL, &r, NULL), LT_OK);
	assert_memory_equal(r.data, a, alen);
	gunzip_result_free(&r);
	assert_null(r.data);
	assert_int_equal(r.cap, 0);
	free(pa);
	free(pb);
	free(a);
	free(b);
}

/* A reused buffer larger than a member's limit must not let that member write
 * past its limit: the bomb is refused exactly as with a fresh buffer (found by
 * fuzz_gunzip in CI). */
static void gunzip__reuse_big_buffer__still_enforces_bomb_limit(void **state)
{
	(void)state;
	size_t alen, za, zlen;
	char *a = json_text(8000000, &alen);
	unsigned char *pa = gz(a, alen, 6, &za);
	unsigned char *z = gz_zeros((size_t)6 << 20, &zlen);
	gunzip_options o;
	gunzip_options_init(&o);
	o.bomb_min_output = 1u << 20;
	o.bomb_max_ratio = 1000;
	gunzip_result r = {0}, fresh;
	lt_error e1, e2;
	lt_error_clear(&e1);
	lt_error_clear(&e2);
	assert_int_equal(gunzip_buffer_reuse(pa, za, &o, &r, NULL), LT_OK);
	assert_true(r.cap >= alen);
	assert_int_equal(gunzip_buffer(z, zlen, &o, &fresh, &e1), LT_EFILE);
	assert_int_equal(gunzip_buffer_reuse(z, zlen, &o, &r, &e2), LT_EFILE);
	assert_int_equal(r.len, 0);
	assert_string_equal(e1.msg, e2.msg);
	gunzip_result_free(&r);
	free(z);
	free(pa);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gunzip__single_member__round_trips_with_sha256),
		cmocka_unit_test(gunzip__multi_member__concatenates_all),
		cmocka_unit_test(gunzip__truncated__recovers_prefix_and_offset),
		cmocka_unit_test(gunzip__corrupt_middle__recovers_prefix),
		cmocka_unit_test(gunzip__zeros_bomb__refused_with_both_sizes),
		cmocka_unit_test(gunzip__reuse_big_buffer__still_enforces_bomb_limit),
		cmocka_unit_test(gunzip__over_max_output__refused),
		cmocka_unit_test(gunzip__not_gzip_or_empty__efile),
		cmocka_unit_test(gunzip__trailing_zeros_ok_garbage_item),
		cmocka_unit_test(gunzip__empty_member__ok_with_non_null_data),
		cmocka_unit_test(gunzip__bad_crc__keeps_data_as_item),
		cmocka_unit_test(gunzip__reuse__keeps_buffer_across_calls_and_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

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
/* Damage a block header past what libdeflate has room for, 705 bytes short
 * of the bomb limit (fuzz_gunzip in CI): libdeflate asked for more space and
 * the buffer path called it a bomb, while the stream path (zlib) saw the
 * corruption. Both now say what zlib sees. */
static void gunzip__damage_near_bomb_limit__buffer_and_stream_agree(void **state)
{
	(void)state;
	static const struct { unsigned short at; unsigned char v; } set[] = {
		{0, 0x1f}, {1, 0x8b}, {2, 0x08}, {4, 0x01}, {8, 0x02}, {9, 0x03}, {10, 0xec}, {11, 0xc1},
		{12, 0x01}, {13, 0x01}, {17, 0x80}, {18, 0x90}, {19, 0xfe}, {20, 0xaf}, {21, 0xee}, {22, 0x08},
		{23, 0x0a}, {71, 0x01}, {73, 0x10}, {285, 0x2b}, {560, 0x55}, {561, 0x55}, {562, 0x55}, {563, 0x55},
		{564, 0x55}, {565, 0x55}, {566, 0x55}, {567, 0x55}, {568, 0x55}, {569, 0x55}, {570, 0x55}, {571, 0x55},
		{572, 0x55}, {573, 0x55}, {574, 0x55}, {575, 0x55}, {576, 0x55}, {577, 0x55}, {578, 0x55}, {579, 0x55},
		{580, 0x55}, {581, 0x55}, {582, 0x55}, {583, 0x55}, {584, 0x55}, {585, 0x55}, {586, 0x55}, {587, 0x55},
		{588, 0x55}, {589, 0x55}, {590, 0x55}, {591, 0x55}, {592, 0x55}, {593, 0x55}, {594, 0x55}, {595, 0x55},
		{596, 0x55}, {597, 0x55}, {598, 0x55}, {599, 0x55}, {600, 0x55}, {601, 0x55}, {602, 0x55}, {603, 0x55},
		{604, 0x55}, {605, 0x55}, {606, 0x55}, {607, 0x55}, {608, 0x55}, {609, 0x55}, {610, 0x55}, {611, 0x55},
		{612, 0x55}, {613, 0x55}, {614, 0x55}, {615, 0x55}, {616, 0x55}, {617, 0x55}, {618, 0x55}, {619, 0x55},
		{620, 0x55}, {621, 0x55}, {622, 0x55}, {623, 0x55}, {624, 0x55}, {625, 0x55}, {626, 0x55}, {627, 0x55},
		{628, 0x55}, {629, 0x55}, {630, 0x55}, {631, 0x55}, {632, 0x55}, {633, 0x55}, {634, 0x55}, {635, 0x55},
		{636, 0x55}, {637, 0x55}, {638, 0x55}, {639, 0x55}, {640, 0x55}, {641, 0x55}, {642, 0x55}, {643, 0x55},
		{644, 0x55}, {645, 0x55}, {646, 0x55}, {647, 0x55}, {648, 0x55}, {649, 0x55}, {650, 0x55}, {651, 0x55},
		{652, 0x55}, {653, 0x55}, {654, 0x55}, {655, 0x55}, {656, 0x55}, {657, 0x55}, {658, 0x55}, {659, 0x55},
		{660, 0x55}, {661, 0x55}, {662, 0x55}, {663, 0x55}, {664, 0x55}, {665, 0x55}, {666, 0x55}, {667, 0x55},
		{668, 0x55}, {669, 0x55}, {670, 0x55}, {671, 0x55}, {672, 0x55}, {673, 0x55}, {674, 0x55}, {675, 0x55},
		{676, 0x55}, {677, 0x55}, {678, 0x55}, {679, 0x55}, {680, 0x55}, {681, 0x55}, {682, 0x55}, {683, 0x55},
		{684, 0x55}, {685, 0x55}, {686, 0x55}, {687, 0x55}, {688, 0x55}, {689, 0x55}, {690, 0x55}, {691, 0x55},
		{692, 0x55}, {693, 0x55}, {694, 0x55}, {695, 0x55}, {696, 0x55}, {697, 0x55}, {698, 0x55}, {699, 0x55},
		{700, 0x55}, {701, 0x55}, {702, 0x55}, {703, 0x55}, {704, 0x55}, {705, 0x55}, {706, 0x55}, {707, 0x55},
		{708, 0x55}, {709, 0x55}, {710, 0x55}, {711, 0x55}, {712, 0x55}, {713, 0x55}, {714, 0x55}, {715, 0x55},
		{716, 0x55}, {717, 0x55}, {718, 0x55}, {719, 0x55}, {720, 0x55}, {721, 0x55}, {738, 0x01}, {762, 0x55},
		{763, 0x55}, {764, 0x55}, {765, 0x55}, {766, 0x55}, {767, 0x55}, {768, 0x55}, {769, 0x55}, {770, 0x55},
		{771, 0x55}, {772, 0x55}, {773, 0x55}, {774, 0x55}, {775, 0x55}, {776, 0x55}, {777, 0x55}, {778, 0x55},
		{779, 0x55}, {780, 0x55}, {781, 0x55}, {782, 0x55}, {783, 0x55}, {784, 0x55}, {785, 0x55}, {786, 0x55},
		{787, 0x55}, {788, 0x55}, {789, 0x55}, {790, 0x55}, {791, 0x55}, {792, 0x55}, {793, 0x55}, {794, 0x55},
		{795, 0x55}, {796, 0x55}, {797, 0x55}, {798, 0x55}, {799, 0x55}, {800, 0x55}, {801, 0x55}, {802, 0x55},
		{803, 0x55}, {804, 0x55}, {805, 0x55}, {806, 0x55}, {807, 0x55}, {808, 0x55}, {809, 0x55}, {810, 0x55},
		{811, 0x55}, {812, 0x55}, {813, 0x55}, {814, 0x55}, {815, 0x55}, {816, 0x55}, {817, 0x55}, {818, 0x55},
		{819, 0x55}, {820, 0x55}, {821, 0x55}, {822, 0x55}, {823, 0x55}, {824, 0x55}, {825, 0x55}, {826, 0x55},
		{827, 0x55}, {828, 0x55}, {829, 0x55}, {830, 0x55}, {831, 0x55}, {832, 0x55}, {833, 0x55}, {834, 0x55},
		{835, 0x55}, {836, 0x55}, {837, 0x55}, {838, 0x55}, {839, 0x55}, {840, 0x55}, {841, 0x55}, {842, 0x55},
		{843, 0x55}, {844, 0x55}, {845, 0x55}, {846, 0x55}, {847, 0x55}, {848, 0x55}, {849, 0x55}, {850, 0x55},
		{851, 0x55}, {852, 0x55}, {853, 0x55}, {854, 0x55}, {855, 0x55}, {856, 0x55}, {857, 0x55}, {858, 0x55},
		{859, 0x55}, {860, 0x55}, {861, 0x55}, {862, 0x55}, {863, 0x55}, {864, 0x55}, {865, 0x55}, {866, 0x55},
		{867, 0x55}, {868, 0x55}, {869, 0x55}, {870, 0x55}, {871, 0x55}, {872, 0x55}, {873, 0x55}, {874, 0x55},
		{875, 0x55}, {876, 0x55}, {877, 0x55}, {878, 0x55}, {879, 0x55}, {880, 0x55}, {881, 0x55}, {882, 0x55},
		{883, 0x55}, {884, 0x55}, {885, 0x55}, {886, 0x55}, {887, 0x55}, {888, 0x55}, {889, 0x55}, {890, 0x55},
		{891, 0x55}, {892, 0x55}, {893, 0x55}, {894, 0x55}, {895, 0x55}, {896, 0x55}, {897, 0x55}, {898, 0x55},
		{899, 0x55}, {900, 0x55}, {901, 0x55}, {902, 0x55}, {903, 0x55}, {904, 0x55}, {905, 0x55}, {906, 0x55},
		{907, 0x55}, {908, 0x55}, {909, 0x55}, {910, 0x55}, {911, 0x55}, {912, 0x55}, {913, 0x55}, {914, 0x55},
		{915, 0x55}, {916, 0x55}, {917, 0x55}, {918, 0x55}, {919, 0x55}, {920, 0x55}, {921, 0x55}, {922, 0x55},
		{923, 0x55}, {924, 0x55}, {925, 0x55}, {926, 0x55}, {927, 0x55}, {928, 0x55}, {929, 0x55}, {930, 0x55},
		{931, 0x55}, {932, 0x55}, {933, 0x55}, {934, 0x55}, {935, 0x55}, {936, 0x55}, {937, 0x55}, {938, 0x55},
		{939, 0x55}, {940, 0x55}, {941, 0x55}, {942, 0x55}, {943, 0x55}, {944, 0x55}, {945, 0x55}, {946, 0x55},
		{947, 0x55}, {948, 0x55}, {949, 0x55}, {950, 0x55}, {951, 0x55}, {952, 0x55}, {953, 0x55}, {954, 0x55},
		{955, 0x55}, {956, 0x55}, {957, 0x55}, {958, 0x55}, {959, 0x55}, {960, 0x55}, {961, 0x55}, {962, 0x55},
		{963, 0x55}, {964, 0x55}, {965, 0x55}, {966, 0x55}, {967, 0x55}, {968, 0x55}, {969, 0x55}, {970, 0x55},
		{971, 0x55}, {972, 0x55}, {973, 0x55}, {974, 0x55}, {1002, 0x01}, {1003, 0x08}, {1040, 0x30}, {1041, 0x0a},
		{1042, 0x6e}, {1043, 0xbe}, {1044, 0xb6}, {1045, 0x19}, {1046, 0x80}, {1047, 0x1d}, {1048, 0x2c}, {1049, 0x04},
	};
	static unsigned char in[1050];
	memset(in, 0, sizeof in);
	for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
		in[set[i].at] = set[i].v;
	gunzip_options o;
	gunzip_options_init(&o);
	o.max_output = 4u << 20;
	o.bomb_min_output = 1u << 20;
	o.bomb_max_ratio = 1000;
	gunzip_result r;
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(gunzip_buffer(in, sizeof in, &o, &r, &e), LT_EITEM);
	assert_non_null(strstr(e.msg, "corrupt gzip"));
	assert_int_equal(r.len, 1049295);
	gunzip_result_free(&r);
}

/* gunzip_stream's writer for the tests: appends to a growing buffer. */
typedef struct sink {
	unsigned char *p;
	size_t n;
} sink;

static lt_status sink_write(void *ctx, const unsigned char *p, size_t n, lt_error *err)
{
	(void)err;
	sink *s = ctx;
	unsigned char *q = realloc(s->p, s->n + n);
	assert_non_null(q);
	memcpy(q + s->n, p, n);
	s->p = q;
	s->n += n;
	return LT_OK;
}

/* A gzip member of data whose header carries FHCRC (RFC 1952 2.3.1: the low
 * 16 bits of the CRC-32 of the header bytes before it), xor'ed with flip. */
static unsigned char *gz_with_header_crc(const char *data, size_t len, unsigned flip, size_t *outlen)
{
	size_t zlen;
	unsigned char *z = gz(data, len, 6, &zlen);
	unsigned char *h = malloc(zlen + 2);
	assert_non_null(h);
	memcpy(h, z, 10);
	h[3] |= 0x02;
	unsigned crc = (unsigned)(crc32(0L, h, 10) & 0xffffu) ^ flip;
	h[10] = (unsigned char)(crc & 0xff);
	h[11] = (unsigned char)(crc >> 8);
	memcpy(h + 12, z + 10, zlen - 10);
	free(z);
	*outlen = zlen + 2;
	return h;
}

/* The buffer path (libdeflate first) and the stream path (zlib) read a member
 * whose header carries a CRC alike: a right one decodes on both, a wrong one
 * is the same damage at the same offset on both (fuzz_gunzip found the buffer
 * path ignoring it: tests/fuzz/corpus/fuzz_gunzip/header-crc-flag). */
static void gunzip__header_crc__buffer_and_stream_agree(void **state)
{
	(void)state;
	for (unsigned flip = 0; flip <= 1; flip++) {
		size_t zlen;
		unsigned char *z = gz_with_header_crc("0123456789", 10, flip, &zlen);
		gunzip_result rb, rs;
		lt_error eb, es;
		lt_error_clear(&eb);
		lt_error_clear(&es);
		sink s = {NULL, 0};
		lt_status sb = gunzip_buffer(z, zlen, NULL, &rb, &eb);
		lt_status ss = gunzip_stream(z, zlen, NULL, sink_write, &s, &rs, &es);
		assert_int_equal(sb, ss);
		assert_string_equal(eb.msg, es.msg);
		assert_int_equal(eb.offset, es.offset);
		if (flip == 0) {
			assert_int_equal(sb, LT_OK);
			assert_int_equal(rb.len, 10);
			assert_memory_equal(rb.data, "0123456789", 10);
			assert_int_equal(s.n, 10);
		} else {
			assert_int_equal(sb, LT_EFILE);
			assert_non_null(strstr(eb.msg, "header crc mismatch"));
		}
		gunzip_result_free(&rb);
		gunzip_result_free(&rs);
		free(s.p);
		free(z);
	}
	/* the fuzz input: a wrong header CRC before a second, truncated member */
	static const unsigned char in[] = {
		0x1f, 0x8b, 0x08, 0x02, 0xe8, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x02, 0x03, 0xec, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x8b, 0x08, 0x00,
	};
	gunzip_result rb, rs;
	lt_error eb, es;
	lt_error_clear(&eb);
	lt_error_clear(&es);
	sink s = {NULL, 0};
	lt_status sb = gunzip_buffer(in, sizeof in, NULL, &rb, &eb);
	assert_int_equal(sb, gunzip_stream(in, sizeof in, NULL, sink_write, &s, &rs, &es));
	assert_string_equal(eb.msg, es.msg);
	assert_int_equal(eb.offset, es.offset);
	gunzip_result_free(&rb);
	gunzip_result_free(&rs);
	free(s.p);
}

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
		cmocka_unit_test(gunzip__damage_near_bomb_limit__buffer_and_stream_agree),
		cmocka_unit_test(gunzip__reuse__keeps_buffer_across_calls_and_failures),
		cmocka_unit_test(gunzip__header_crc__buffer_and_stream_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

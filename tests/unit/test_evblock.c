/* Unit tests for store/evblock: round trips, ordering, limits, damaged blobs.
 *
 * Some tests build blobs by hand (wrap_payload) to reach the column parser
 * behind the CRC. Seed blobs for the fuzz target: run this test with
 * LLMTRAIL_EVBLOCK_SEEDS=DIR to (re)write them into DIR; without it, the
 * seeds in tests/data/evblock are decoded and checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "config.h"
#include "store/evblock.h"

/* ---- fixtures ---------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Text storage for generated rows: fixed slots so ev_str pointers stay valid. */
typedef struct rowset {
	evblock_row *rows;
	char *text;
	size_t n;
} rowset;

static char *uuid_text(char *out, int upper)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (int i = 0; i < 36; i++)
		out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rnd() & 15];
	return out;
}

static void blank_row(evblock_row *r)
{
	memset(r, 0, sizeof *r);
	r->input_tokens = r->output_tokens = r->latency_ms = -1;
}

/* CloudTrail-like rows: random UUID uids, times ~1 s apart, a few string
 * ids, records of one file in a locally shuffled order. */
static rowset make_rows(size_t n, int invocation)
{
	rowset s = {calloc(n, sizeof(evblock_row)), calloc(n, 128), n};
	assert_non_null(s.rows);
	assert_non_null(s.text);
	uint64_t *len = calloc(n, sizeof *len);
	size_t *perm = calloc(n, sizeof *perm);
	assert_non_null(len);
	assert_non_null(perm);
	for (size_t i = 0; i < n; i++) {
		perm[i] = i;
		len[i] = 800 + rnd() % 1700;
	}
	for (size_t i = 0; i + 1 < n; i++) { /* shuffle within windows of 32 */
		size_t w = i + rnd() % 32;
		size_t j = w < n ? w : n - 1;
		size_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	uint64_t *off = calloc(n, sizeof *off);
	assert_non_null(off);
	for (size_t i = 1; i < n; i++)
		off[i] = off[i - 1] + len[i - 1] + 2;
	int64_t t = INT64_C(1717200000) * 1000000;
	for (size_t i = 0; i < n; i++) {
		evblock_row *r = &s.rows[i];
		blank_row(r);
		char *txt = s.text + 128 * i;
		t += (int64_t)(rnd() % 3) * 1000000;
		r->time_us = t;
		r->source = invocation ? 2 : 1;
		r->uid = ev_str_from(uuid_text(txt, 0), 36);
		r->str[EVB_ACTION] = (uint32_t)(1 + rnd() % 30);
		r->str[EVB_SERVICE] = 40;
		r->str[EVB_PRINCIPAL] = (uint32_t)(50 + rnd() % 10);
		r->str[EVB_ACCOUNT] = 70;
		r->str[EVB_REGION] = 71;
		r->str[EVB_SOURCE_IP] = (uint32_t)(80 + rnd() % 5);
		r->str[EVB_USER_AGENT] = (uint32_t)(90 + rnd() % 3);
		size_t rec = perm[i];
		r->line = rec + 1;
		r->offset = off[rec];
		r->length = len[rec];
		if (invocation) {
			r->request_id = r->uid;
			r->str[EVB_MODEL] = (uint32_t)(100 + rnd() % 4);
			r->input_tokens = (int64_t)(rnd() % 5000);
			r->output_tokens = (int64_t)(rnd() % 2000);
			r->latency_ms = (int64_t)(200 + rnd() % 9000);
		}
	}
	free(off);
	free(perm);
	free(len);
	return s;
}

static void rowset_free(rowset *s)
{
	free(s->rows);
	free(s->text);
}

static int str_eq(ev_str a, ev_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void assert_row_equal(const evblock_row *a, const evblock_row *b)
{
	assert_int_equal(a->time_us, b->time_us);
	assert_int_equal(a->source, b->source);
	assert_int_equal(a->flags, b->flags);
	assert_true(str_eq(a->uid, b->uid));
	assert_true(str_eq(a->request_id, b->request_id));
	assert_memory_equal(a->str, b->str, sizeof a->str);
	assert_int_equal(a->input_tokens, b->input_tokens);
	assert_int_equal(a->output_tokens, b->output_tokens);
	assert_int_equal(a->latency_ms, b->latency_ms);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->length, b->length);
	assert_int_equal(a->line, b->line);
	assert_true(str_eq(a->input_body_ref, b->input_body_ref));
	assert_true(str_eq(a->output_body_ref, b->output_body_ref));
}

static void encode_ok(const evblock_row *rows, size_t n, buf *out)
{
	lt_error err;
	lt_error_clear(&err);
	buf_init(out, 0);
	lt_status st = evblock_encode(rows, n, out, &err);
	if (st != LT_OK)
		fail_msg("encode: %s", err.msg);
}

static void round_trip(const evblock_row *rows, size_t n)
{
	buf blob;
	encode_ok(rows, n, &blob);
	evblock *b = NULL;
	lt_error err;
	lt_status st = evblock_decode(blob.data, blob.len, &b, &err);
	if (st != LT_OK)
		fail_msg("decode: %s", err.msg);
	assert_int_equal(evblock_count(b), n);
	assert_true(evblock_mem(b) >= n * sizeof(evblock_row));
	for (size_t i = 0; i < n; i++)
		assert_row_equal(evblock_row_at(b, i), &rows[i]);
	evblock_free(b);
	buf_free(&blob);
}

/* A blob around a hand-made payload: header, CRC, raw uid UUIDs, DEFLATE (level 6). */
static void wrap_raw(const void *payload, size_t plen, const void *raw, size_t rawlen,
	uint64_t rows, buf *out)
{
	buf_init(out, 0);
	unsigned char h[32];
	size_t k = 0;
	memcpy(h, "LTEB\x01", 5);
	k = 5;
	for (uint64_t v = rows;; v >>= 7) {
		h[k++] = (unsigned char)(v >= 0x80 ? (v & 0x7f) | 0x80 : v);
		if (v < 0x80)
			break;
	}
	for (uint64_t v = plen;; v >>= 7) {
		h[k++] = (unsigned char)(v >= 0x80 ? (v & 0x7f) | 0x80 : v);
		if (v < 0x80)
			break;
	}
	for (uint64_t v = rawlen;; v >>= 7) {
		h[k++] = (unsigned char)(v >= 0x80 ? (v & 0x7f) | 0x80 : v);
		if (v < 0x80)
			break;
	}
	uint32_t crc = libdeflate_crc32(libdeflate_crc32(0, raw, rawlen), payload, plen);
	for (int i = 0; i < 4; i++)
		h[k++] = (unsigned char)(crc >> (8 * i));
	assert_int_equal(buf_append(out, h, k), LT_OK);
	if (rawlen > 0)
		assert_int_equal(buf_append(out, raw, rawlen), LT_OK);
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	assert_non_null(c);
	size_t bound = libdeflate_deflate_compress_bound(c, plen);
	char *p = buf_reserve(out, bound);
	assert_non_null(p);
	size_t clen = libdeflate_deflate_compress(c, payload, plen, p, bound);
	assert_true(clen > 0);
	buf_commit(out, clen);
	libdeflate_free_compressor(c);
}

static void wrap_payload(const void *payload, size_t plen, uint64_t rows, buf *out)
{
	wrap_raw(payload, plen, NULL, 0, rows, out);
}

/* The payload of a valid blob (the caller frees it); *raw points into blob. */
static unsigned char *unwrap_payload(const buf *blob, size_t *plen, uint64_t *rows,
	const unsigned char **raw, size_t *rawlen)
{
	const unsigned char *p = (const unsigned char *)blob->data + 5;
	uint64_t v[3] = {0, 0, 0};
	for (int f = 0; f < 3; f++)
		for (int s = 0;; s += 7) {
			unsigned char b = *p++;
			v[f] |= (uint64_t)(b & 0x7f) << s;
			if (b < 0x80)
				break;
		}
	p += 4;
	*rows = v[0];
	*plen = (size_t)v[1];
	*raw = p;
	*rawlen = (size_t)v[2];
	p += *rawlen;
	unsigned char *out = malloc(*plen);
	assert_non_null(out);
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	assert_non_null(d);
	size_t clen = blob->len - (size_t)(p - (const unsigned char *)blob->data);
	assert_int_equal(libdeflate_deflate_decompress(d, p, clen, out, *plen, NULL), LIBDEFLATE_SUCCESS);
	libdeflate_free_decompressor(d);
	return out;
}

/* Decodes; on success re-encodes the rows and checks they come back equal. */
static lt_status decode_checked(const void *data, size_t n)
{
	evblock *b = NULL;
	lt_error err;
	lt_error_clear(&err);
	lt_status st = evblock_decode(data, n, &b, &err);
	if (st != LT_OK) {
		assert_int_equal(st, LT_EFILE);
		assert_null(b);
		assert_true(strncmp(err.msg, "event block: ", 13) == 0);
		return st;
	}
	size_t count = evblock_count(b);
	evblock_row *copy = malloc(count * sizeof *copy);
	assert_non_null(copy);
	for (size_t i = 0; i < count; i++)
		copy[i] = *evblock_row_at(b, i);
	round_trip(copy, count);
	free(copy);
	evblock_free(b);
	return st;
}

/* ---- tests ------------------------------------------------------------- */

static void evblock__mixed_rows__round_trip(void **state)
{
	(void)state;
	static char long_uid[EVBLOCK_STR_MAX];
	memset(long_uid, 'x', sizeof long_uid);
	evblock_row r[10];
	for (int i = 0; i < 10; i++)
		blank_row(&r[i]);
	r[0].uid = ev_str_from("8c2f6a3e-1b2d-4c5e-9f00-aabbccddeeff", 36);
	r[0].time_us = -5;
	r[0].source = 1;
	r[0].flags = EV_F_UTF8_REPLACED | EV_F_TIME_FALLBACK;
	r[1].uid = ev_str_from("8C2F6A3E-1B2D-4C5E-9F00-AABBCCDDEEFF", 36); /* upper case: text */
	r[1].time_us = INT64_MAX;
	r[1].request_id = ev_str_from("0000aaaa-1111-2222-3333-444455556666", 36);
	r[2].uid = ev_str_from("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 71);
	r[2].time_us = INT64_MIN;
	r[2].input_tokens = 0;
	r[2].output_tokens = INT64_MAX;
	r[2].latency_ms = 0;
	r[3].uid = ev_str_from("8c2f6a3e-1b2d-4c5e-9f00-aabbccddeefg", 36); /* not hex */
	r[3].request_id = r[3].uid;
	r[3].input_body_ref = ev_str_from("s3://bucket/AWSLogs/1/input.json.gz", 35);
	r[3].output_body_ref = ev_str_from("s3://bucket/AWSLogs/1/output.json.gz", 36);
	r[3].flags = EV_F_BODY_EXTERNAL | EV_F_BODY_MISSING;
	r[4].uid = EV_STR_NULL; /* empty uid */
	r[4].request_id = ev_str_from("req-1", 5);
	r[4].offset = UINT64_MAX;
	r[4].length = UINT64_MAX;
	r[4].line = UINT64_MAX;
	r[5].uid = ev_str_from(long_uid, sizeof long_uid);
	r[5].request_id = ev_str_from(long_uid, 10); /* a prefix of uid, not the same */
	for (int s = 0; s < EVBLOCK_NSTR; s++)
		r[5].str[s] = s % 2 ? UINT32_MAX : (uint32_t)s;
	r[6].uid = ev_str_from("8c2f6a3e1b2d4c5e9f00aabbccddeeff0000", 36); /* no dashes */
	r[6].source = 255;
	r[6].flags = UINT32_MAX;
	r[6].time_us = 1234567;
	r[7].uid = ev_str_from("", 0);
	r[7].request_id = ev_str_from("", 0); /* empty with a pointer */
	r[7].input_body_ref = ev_str_from("s3://b/k", 8);
	r[8].uid = ev_str_from("ffffffff-ffff-ffff-ffff-ffffffffffff", 36);
	r[8].request_id = ev_str_from("00000000-0000-0000-0000-000000000000", 36);
	r[8].output_body_ref = ev_str_from("ffffffff-ffff-ffff-ffff-ffffffffffff", 36);
	r[8].line = 0;
	r[9].uid = ev_str_from("a\0b", 3); /* binary bytes survive */
	r[9].time_us = -1000000;
	r[9].input_tokens = 123456789012;
	for (size_t n = 1; n <= 10; n++)
		round_trip(r, n);
}

static void evblock__one_row__round_trips(void **state)
{
	(void)state;
	rowset s = make_rows(1, 0);
	round_trip(s.rows, 1);
	rowset_free(&s);
	s = make_rows(1, 1);
	round_trip(s.rows, 1);
	rowset_free(&s);
}

static void evblock__max_rows__round_trip_and_stay_small(void **state)
{
	(void)state;
	for (int inv = 0; inv < 2; inv++) {
		rowset s = make_rows(EVBLOCK_MAX, inv);
		round_trip(s.rows, EVBLOCK_MAX);
		buf blob;
		encode_ok(s.rows, EVBLOCK_MAX, &blob);
		/* 16 random bytes per uid; the rest must be small (budget: 25 per
		 * CloudTrail event; invocations add ~5 bytes of random tokens) */
		assert_true(blob.len < (inv ? 32u : 25u) * EVBLOCK_MAX);
		buf_free(&blob);
		rowset_free(&s);
	}
}

static void evblock__sparse_and_duplicate_lines__round_trip(void **state)
{
	(void)state;
	rowset s = make_rows(300, 0);
	for (size_t i = 0; i < s.n; i++)
		s.rows[i].line = (rnd() % 7) * UINT64_C(1000000007); /* sparse, with ties */
	round_trip(s.rows, s.n);
	for (size_t i = 0; i < s.n; i++)
		s.rows[i].line = 5 + rnd() % 40; /* dense, with ties */
	round_trip(s.rows, s.n);
	for (size_t i = 0; i < s.n; i++)
		s.rows[i].time_us = (int64_t)(rnd() >> 1) - INT64_MAX / 2; /* unsorted */
	round_trip(s.rows, s.n);
	rowset_free(&s);
}

static void evblock__lower_case_uuid__packed_smaller_than_upper(void **state)
{
	(void)state;
	rowset s = make_rows(200, 0);
	buf lower, upper;
	encode_ok(s.rows, s.n, &lower);
	for (size_t i = 0; i < s.n; i++) {
		char *t = (char *)(uintptr_t)s.rows[i].uid.p;
		for (size_t j = 0; j < 36; j++)
			if (t[j] >= 'a' && t[j] <= 'f')
				t[j] = (char)(t[j] - 'a' + 'A');
	}
	encode_ok(s.rows, s.n, &upper);
	assert_true(lower.len < upper.len);
	round_trip(s.rows, s.n);
	buf_free(&lower);
	buf_free(&upper);
	rowset_free(&s);
}

static void evblock__row_cmp__time_then_source_then_uid(void **state)
{
	(void)state;
	evblock_row a, b;
	blank_row(&a);
	blank_row(&b);
	a.time_us = 1;
	b.time_us = 2;
	a.source = 9;
	assert_true(evblock_row_cmp(&a, &b) < 0);
	assert_true(evblock_row_cmp(&b, &a) > 0);
	a.time_us = INT64_MIN;
	b.time_us = INT64_MAX;
	assert_true(evblock_row_cmp(&a, &b) < 0);
	b.time_us = a.time_us;
	assert_true(evblock_row_cmp(&a, &b) > 0); /* source 9 > 0 */
	b.source = 9;
	assert_int_equal(evblock_row_cmp(&a, &b), 0); /* both uids empty */
	a.uid = ev_str_from("abc", 3);
	b.uid = ev_str_from("abcd", 4);
	assert_true(evblock_row_cmp(&a, &b) < 0); /* prefix first */
	assert_true(evblock_row_cmp(&b, &a) > 0);
	b.uid = ev_str_from("abb", 3);
	assert_true(evblock_row_cmp(&a, &b) > 0);
	b.uid = ev_str_from("abc", 3);
	assert_int_equal(evblock_row_cmp(&a, &b), 0);
	a.uid = ev_str_from("\xff", 1); /* bytes compare unsigned */
	b.uid = ev_str_from("a", 1);
	assert_true(evblock_row_cmp(&a, &b) > 0);
	b.uid = EV_STR_NULL;
	assert_true(evblock_row_cmp(&a, &b) > 0);
}

static void expect_encode_fatal(const evblock_row *rows, size_t n, const char *needle)
{
	buf out;
	buf_init(&out, 0);
	assert_int_equal(buf_append(&out, "keep", 4), LT_OK);
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(evblock_encode(rows, n, &out, &err), LT_EFATAL);
	assert_non_null(strstr(err.msg, needle));
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "keep", 4);
	buf_free(&out);
}

static void evblock__bad_rows__rejected_by_encode(void **state)
{
	(void)state;
	rowset s = make_rows(EVBLOCK_MAX + 1, 0);
	expect_encode_fatal(s.rows, 0, "rows");
	expect_encode_fatal(s.rows, EVBLOCK_MAX + 1, "rows");
	s.rows[3].source = 256;
	expect_encode_fatal(s.rows, 10, "source");
	s.rows[3].source = 1;
	s.rows[4].latency_ms = -2;
	expect_encode_fatal(s.rows, 10, "latency_ms");
	s.rows[4].latency_ms = -1;
	static char big[EVBLOCK_STR_MAX + 1];
	s.rows[5].request_id = ev_str_from(big, sizeof big);
	expect_encode_fatal(s.rows, 10, "request_id");
	s.rows[5].request_id = ev_str_from(NULL, 3);
	expect_encode_fatal(s.rows, 10, "request_id");
	s.rows[5].request_id = EV_STR_NULL;
	buf out;
	encode_ok(s.rows, 10, &out); /* and now it is fine again */
	buf_free(&out);
	rowset_free(&s);
}

static void evblock__every_truncation__rejected(void **state)
{
	(void)state;
	rowset s = make_rows(50, 1);
	buf blob;
	encode_ok(s.rows, s.n, &blob);
	for (size_t len = 0; len < blob.len; len++) {
		unsigned char *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
		assert_non_null(copy);
		memcpy(copy, blob.data, len);
		evblock *b = (evblock *)1;
		lt_error err;
		assert_int_equal(evblock_decode(copy, len, &b, &err), LT_EFILE);
		assert_null(b);
		free(copy);
	}
	/* every truncation of the payload, re-wrapped with a valid CRC */
	size_t plen, rawlen;
	uint64_t rows;
	const unsigned char *raw;
	unsigned char *payload = unwrap_payload(&blob, &plen, &rows, &raw, &rawlen);
	assert_int_equal(rawlen, 16 * s.n);
	for (size_t len = 0; len < plen; len++) {
		buf w;
		wrap_raw(payload, len, raw, rawlen, rows, &w);
		assert_int_equal(decode_checked(w.data, w.len), LT_EFILE);
		buf_free(&w);
	}
	buf w; /* and trailing bytes */
	unsigned char *longer = malloc(plen + 1);
	assert_non_null(longer);
	memcpy(longer, payload, plen);
	longer[plen] = 0;
	wrap_raw(longer, plen + 1, raw, rawlen, rows, &w);
	assert_int_equal(decode_checked(w.data, w.len), LT_EFILE);
	buf_free(&w);
	/* a raw UUID section one UUID short, or one too long */
	wrap_raw(payload, plen, raw, rawlen - 16, rows, &w);
	assert_int_equal(decode_checked(w.data, w.len), LT_EFILE);
	buf_free(&w);
	unsigned char *raw_longer = malloc(rawlen + 16);
	assert_non_null(raw_longer);
	memcpy(raw_longer, raw, rawlen);
	memcpy(raw_longer + rawlen, raw, 16);
	wrap_raw(payload, plen, raw_longer, rawlen + 16, rows, &w);
	assert_int_equal(decode_checked(w.data, w.len), LT_EFILE);
	buf_free(&w);
	free(raw_longer);
	wrap_raw(payload, plen, raw, rawlen, rows, &w); /* the untouched parts decode */
	assert_int_equal(decode_checked(w.data, w.len), LT_OK);
	buf_free(&w);
	free(longer);
	free(payload);
	buf_free(&blob);
	rowset_free(&s);
}

static void evblock__bit_flips__rejected_or_consistent(void **state)
{
	(void)state;
	rowset s = make_rows(12, 1);
	s.rows[3].input_body_ref = ev_str_from("s3://b/in", 9);
	s.rows[5].uid = ev_str_from("sha256:abc", 10);
	buf blob;
	encode_ok(s.rows, s.n, &blob);
	for (size_t bit = 0; bit < blob.len * 8; bit++) {
		blob.data[bit / 8] ^= (char)(1u << (bit % 8));
		/* the CRC catches payload damage: a flip that decodes at all (say, in
		 * the padding bits of the last DEFLATE byte) gives the same rows */
		evblock *b = NULL;
		lt_error err;
		if (decode_checked(blob.data, blob.len) == LT_OK) {
			assert_int_equal(evblock_decode(blob.data, blob.len, &b, &err), LT_OK);
			assert_int_equal(evblock_count(b), s.n);
			for (size_t i = 0; i < s.n; i++)
				assert_row_equal(evblock_row_at(b, i), &s.rows[i]);
			evblock_free(b);
		}
		blob.data[bit / 8] ^= (char)(1u << (bit % 8));
	}
	/* flips inside the payload, behind a recomputed CRC, reach the columns */
	size_t plen, rawlen;
	uint64_t rows;
	const unsigned char *raw;
	unsigned char *payload = unwrap_payload(&blob, &plen, &rows, &raw, &rawlen);
	size_t ok = 0, bad = 0;
	for (size_t bit = 0; bit < plen * 8; bit++) {
		payload[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		buf w;
		wrap_raw(payload, plen, raw, rawlen, rows, &w);
		if (decode_checked(w.data, w.len) == LT_OK)
			ok++;
		else
			bad++;
		buf_free(&w);
		payload[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	assert_true(ok > 0 && bad > 0); /* both paths were exercised */
	free(payload);
	buf_free(&blob);
	rowset_free(&s);
}

static void expect_decode_error(const void *data, size_t n, const char *needle)
{
	evblock *b = NULL;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(evblock_decode(data, n, &b, &err), LT_EFILE);
	assert_null(b);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", needle, err.msg);
}

static void evblock__absurd_sizes__rejected_before_allocating(void **state)
{
	(void)state;
	/* 64 MiB declared, 8 compressed bytes: cannot expand that far */
	const unsigned char huge[] = {'L', 'T', 'E', 'B', 1, 0x80, 0x40, 0x80, 0x80, 0x80, 0x20, 0,
		0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
	expect_decode_error(huge, sizeof huge, "more than the compressed bytes");
	/* above the cap */
	const unsigned char cap[] = {'L', 'T', 'E', 'B', 1, 1, 0x81, 0x80, 0x80, 0x20, 0, 0, 0, 0, 0, 1};
	expect_decode_error(cap, sizeof cap, "64 MiB");
	const unsigned char rows0[] = {'L', 'T', 'E', 'B', 1, 0, 1, 0, 0, 0, 0, 0, 1};
	expect_decode_error(rows0, sizeof rows0, "row count");
	const unsigned char rows_big[] = {'L', 'T', 'E', 'B', 1, 0x81, 0x40, 1, 0, 0, 0, 0, 0, 1};
	expect_decode_error(rows_big, sizeof rows_big, "row count");
	/* a raw UUID section longer than 16 bytes per row, or than the blob */
	const unsigned char raw_big[] = {'L', 'T', 'E', 'B', 1, 1, 1, 17, 0, 0, 0, 0, 1};
	expect_decode_error(raw_big, sizeof raw_big, "16 bytes per row");
	const unsigned char raw_short[] = {'L', 'T', 'E', 'B', 1, 1, 1, 16, 0, 0, 0, 0, 1};
	expect_decode_error(raw_short, sizeof raw_short, "raw UUID section");
	expect_decode_error(rows_big, sizeof rows_big, "row count");
	const unsigned char long_varint[] = {'L', 'T', 'E', 'B', 1, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 0};
	expect_decode_error(long_varint, sizeof long_varint, "bad varint");
	expect_decode_error("LTEB\x02", 5, "version");
	expect_decode_error("XXXX\x01\x01\x01", 7, "magic");
	/* a column declaring more bytes than the payload holds, behind a valid CRC */
	const unsigned char col[] = {0, 1, 0xff, 0xff, 0x03, 7};
	buf w;
	wrap_payload(col, sizeof col, 1, &w);
	expect_decode_error(w.data, w.len, "time: column longer than the payload");
	buf_free(&w);
	/* a column whose length cannot hold the declared rows */
	const unsigned char short_col[] = {0, 1, 2, 5, 5};
	wrap_payload(short_col, sizeof short_col, 100, &w);
	expect_decode_error(w.data, w.len, "does not fit the row count");
	buf_free(&w);
	/* time scale out of range */
	const unsigned char scale[] = {7, 0, 0};
	wrap_payload(scale, sizeof scale, 1, &w);
	expect_decode_error(w.data, w.len, "scale");
	buf_free(&w);
}

static int seed_rows(int which, evblock_row *r, size_t cap)
{
	rowset s = make_rows(cap, which == 1);
	size_t n = which == 0 ? 20 : which == 1 ? 8 : which == 2 ? 1 : 5;
	memcpy(r, s.rows, n * sizeof *r);
	if (which == 3) {
		r[1].uid = ev_str_from("sha256:0123abcd", 15);
		r[2].request_id = ev_str_from("REQ", 3);
		r[3].input_body_ref = ev_str_from("s3://bucket/in.json", 19);
		r[3].output_body_ref = ev_str_from("s3://bucket/out.json", 20);
		r[4].time_us = -17;
		r[4].line = 1000000;
	}
	if (which == 4) {
		n = 6;
		for (size_t i = 0; i < n; i++)
			r[i].time_us = (int64_t)(rnd() >> 3);
	}
	/* the text lives in s.text, which we keep for the caller via a static */
	static rowset keep[5];
	rowset_free(&keep[which]);
	keep[which] = s;
	return (int)n;
}

/* The payload form of a blob for the fuzz target: 0x03, rows (2 bytes,
 * big-endian), UUID count, raw UUIDs, payload. */
static void payload_seed(const buf *blob, buf *out)
{
	size_t plen, rawlen;
	uint64_t rows;
	const unsigned char *raw;
	unsigned char *payload = unwrap_payload(blob, &plen, &rows, &raw, &rawlen);
	assert_true(rawlen / 16 <= 255);
	unsigned char h[4] = {3, (unsigned char)(rows >> 8), (unsigned char)rows,
		(unsigned char)(rawlen / 16)};
	buf_init(out, 0);
	assert_int_equal(buf_append(out, h, 4), LT_OK);
	assert_int_equal(buf_append(out, raw, rawlen), LT_OK);
	assert_int_equal(buf_append(out, payload, plen), LT_OK);
	free(payload);
}

static size_t read_file(const char *path, char *data, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	size_t n = fread(data, 1, cap, f);
	fclose(f);
	return n;
}

static void write_file(const char *path, const buf *b)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

static void evblock__seed_blobs__decode(void **state)
{
	(void)state;
	const char *write_dir = getenv("LLMTRAIL_EVBLOCK_SEEDS");
	const char *src = getenv("LLMTRAIL_SRCDIR");
	char dir[2048], path[4096];
	snprintf(dir, sizeof dir, "%s", write_dir != NULL ? write_dir : "");
	if (write_dir == NULL)
		snprintf(dir, sizeof dir, "%s/tests/data/evblock", src != NULL ? src : "..");
	evblock_row rows[64];
	static char data[1 << 16];
	for (int which = 0; which < 5; which++) {
		if (write_dir != NULL) {
			int n = seed_rows(which, rows, 64);
			buf blob, ps;
			encode_ok(rows, (size_t)n, &blob);
			payload_seed(&blob, &ps);
			snprintf(path, sizeof path, "%s/seed%d.evb", dir, which);
			write_file(path, &blob);
			snprintf(path, sizeof path, "%s/pseed%d.evb", dir, which);
			write_file(path, &ps);
			buf_free(&ps);
			buf_free(&blob);
		}
		snprintf(path, sizeof path, "%s/seed%d.evb", dir, which);
		size_t n = read_file(path, data, sizeof data);
		assert_int_equal(decode_checked(data, n), LT_OK);
		/* the payload form wraps back into a blob that decodes */
		buf blob = {data, n, n, 0}, ps, w;
		payload_seed(&blob, &ps);
		snprintf(path, sizeof path, "%s/pseed%d.evb", dir, which);
		size_t pn = read_file(path, data, sizeof data);
		assert_int_equal(pn, ps.len);
		assert_memory_equal(data, ps.data, pn);
		size_t raw = 16 * (size_t)(unsigned char)ps.data[3];
		wrap_raw(ps.data + 4 + raw, ps.len - 4 - raw, ps.data + 4, raw,
			(uint64_t)(unsigned char)ps.data[1] << 8 | (unsigned char)ps.data[2], &w);
		assert_int_equal(decode_checked(w.data, w.len), LT_OK);
		buf_free(&w);
		buf_free(&ps);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evblock__mixed_rows__round_trip),
		cmocka_unit_test(evblock__one_row__round_trips),
		cmocka_unit_test(evblock__max_rows__round_trip_and_stay_small),
		cmocka_unit_test(evblock__sparse_and_duplicate_lines__round_trip),
		cmocka_unit_test(evblock__lower_case_uuid__packed_smaller_than_upper),
		cmocka_unit_test(evblock__row_cmp__time_then_source_then_uid),
		cmocka_unit_test(evblock__bad_rows__rejected_by_encode),
		cmocka_unit_test(evblock__every_truncation__rejected),
		cmocka_unit_test(evblock__bit_flips__rejected_or_consistent),
		cmocka_unit_test(evblock__absurd_sizes__rejected_before_allocating),
		cmocka_unit_test(evblock__seed_blobs__decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

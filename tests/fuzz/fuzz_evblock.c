/*
 * fuzz_evblock.c — libFuzzer target for store/evblock.
 *
 * The first input byte picks what the rest is:
 *   even: a whole blob, given to evblock_decode as is (header, DEFLATE, CRC),
 *         without its first byte if that byte is 0x00;
 *   odd:  a payload, wrapped here in a valid header with a correct CRC and
 *         compressed, so that the column parser behind the CRC gets exercised:
 *         byte 1 is the row count (bytes 1..2, big-endian, when byte 0 has
 *         bit 1 set), byte 3 the number of 16-byte uid UUIDs that follow for
 *         the raw section, and the rest is the payload.
 * Whenever a decode succeeds, the rows are encoded again and decoded again,
 * and must come back equal field for field.
 * Seeds: tests/data/evblock/, written by tests/unit/test_evblock with
 * LLMTRAIL_EVBLOCK_SEEDS=DIR: seedN.evb are blobs (first byte 'L', even),
 * pseedN.evb the same blocks in the payload form above (first byte 0x03).
 * Build: CC=clang ../configure --enable-fuzz && make tests/fuzz/fuzz_evblock
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "common/buf.h"
#include "store/evblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

static int str_eq(ev_str a, ev_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static int row_eq(const evblock_row *a, const evblock_row *b)
{
	return a->time_us == b->time_us && a->source == b->source && a->flags == b->flags &&
		str_eq(a->uid, b->uid) && str_eq(a->request_id, b->request_id) &&
		memcmp(a->str, b->str, sizeof a->str) == 0 && a->input_tokens == b->input_tokens &&
		a->output_tokens == b->output_tokens && a->latency_ms == b->latency_ms &&
		a->offset == b->offset && a->length == b->length && a->line == b->line &&
		str_eq(a->input_body_ref, b->input_body_ref) &&
		str_eq(a->output_body_ref, b->output_body_ref);
}

static void check_round_trip(const evblock *b)
{
	size_t n = evblock_count(b);
	must(n >= 1 && n <= EVBLOCK_MAX);
	evblock_row *rows = malloc(n * sizeof *rows);
	must(rows != NULL);
	for (size_t i = 0; i < n; i++) {
		rows[i] = *evblock_row_at(b, i);
		must(rows[i].source <= 255 && rows[i].input_tokens >= -1 && rows[i].uid.n <= EVBLOCK_STR_MAX);
	}
	buf out;
	buf_init(&out, 0);
	lt_error err;
	must(evblock_encode(rows, n, &out, &err) == LT_OK);
	evblock *again = NULL;
	must(evblock_decode(out.data, out.len, &again, &err) == LT_OK);
	must(evblock_count(again) == n);
	for (size_t i = 0; i < n; i++)
		must(row_eq(evblock_row_at(again, i), &rows[i]));
	evblock_free(again);
	buf_free(&out);
	free(rows);
}

static void put_varint(buf *b, uint64_t v)
{
	for (;; v >>= 7) {
		must(buf_putc(b, (char)(v >= 0x80 ? (v & 0x7f) | 0x80 : v)) == LT_OK);
		if (v < 0x80)
			break;
	}
}

/* A blob around payload and raw uid UUIDs, as evblock_encode would frame them. */
static void wrap(const uint8_t *payload, size_t plen, const uint8_t *raw, size_t rawlen,
	uint64_t rows, buf *out)
{
	must(buf_append(out, "LTEB\x01", 5) == LT_OK);
	put_varint(out, rows);
	put_varint(out, plen);
	put_varint(out, rawlen);
	uint32_t crc = libdeflate_crc32(libdeflate_crc32(0, raw, rawlen), payload, plen);
	for (int i = 0; i < 4; i++)
		must(buf_putc(out, (char)(crc >> (8 * i))) == LT_OK);
	must(buf_append(out, raw, rawlen) == LT_OK);
	static struct libdeflate_compressor *c;
	if (c == NULL)
		c = libdeflate_alloc_compressor(1);
	must(c != NULL);
	size_t bound = libdeflate_deflate_compress_bound(c, plen);
	char *p = buf_reserve(out, bound);
	must(p != NULL);
	size_t clen = libdeflate_deflate_compress(c, payload, plen, p, bound);
	must(clen > 0);
	buf_commit(out, clen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	buf blob;
	buf_init(&blob, 0);
	const uint8_t *in = data;
	size_t n = size;
	if (data[0] & 1) {
		if (size < 4)
			return 0;
		/* small blocks mostly (fast runs), any size when bit 1 is set */
		uint64_t rows = data[0] & 2 ? ((uint64_t)data[1] << 8 | data[2]) % (EVBLOCK_MAX + 1) : data[1];
		size_t rawlen = 16 * (size_t)data[3];
		if (rawlen > size - 4)
			rawlen = (size - 4) / 16 * 16;
		wrap(data + 4 + rawlen, size - 4 - rawlen, data + 4, rawlen, rows, &blob);
		in = (const uint8_t *)blob.data;
		n = blob.len;
	} else if (data[0] == 0) {
		in = data + 1;
		n = size - 1;
	}
	evblock *b = NULL;
	lt_error err;
	lt_status st = evblock_decode(in, n, &b, &err);
	must(st == LT_OK || st == LT_EFILE);
	must((st == LT_OK) == (b != NULL));
	if (b != NULL) {
		must(evblock_mem(b) >= evblock_count(b) * sizeof(evblock_row));
		check_round_trip(b);
	}
	evblock_free(b);
	buf_free(&blob);
	return 0;
}

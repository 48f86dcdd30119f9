/*
 * detblock.c — one event block's stored detections (see detblock.h).
 *
 * Most rows match nothing, so only rows with something to say are listed,
 * by row number; the list is DEFLATEd with zlib (detections repeat field
 * names and values from row to row). Decoding inflates once into one
 * allocation and indexes the rows into an array the size of the block, so
 * the replay finds a row's detection in constant time.
 */
#include "config.h"

#include "store/detblock.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* zlib level 1, not 6: analyze of a 100 MB generated case spent 6.3 % of its
 * CPU time in zlib with level 6 and 4.8 % with level 1 (perf; the writer
 * thread encodes), for a detections table 7 % larger (16.1 -> 17.3 MB). */
#define DETBLOCK_ZLIB_LEVEL 1

#include "common/varint.h"

struct detblock {
	unsigned char *raw;
	size_t rawlen;
	detblock_entry *rows; /* [nrows]; present[i] says whether rows[i] is set */
	unsigned char *present;
	size_t nrows;
};

static lt_status list_entries(const detblock_entry *const *entries, size_t rows, buf *raw, lt_error *err)
{
	uint64_t count = 0;
	for (size_t i = 0; i < rows; i++)
		count += entries[i] != NULL;
	lt_status st = varint_put(raw, count);
	for (size_t i = 0; st == LT_OK && i < rows; i++) {
		const detblock_entry *e = entries[i];
		if (e == NULL)
			continue;
		size_t n = e->deferred ? 0 : e->n;
		if ((st = varint_put(raw, i)) == LT_OK && (st = varint_put(raw, 2 * (uint64_t)n + e->deferred)) == LT_OK &&
		    n > 0)
			st = buf_append(raw, e->bytes, n);
	}
	if (st != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory storing detections");
	if (raw->len > DETBLOCK_RAW_MAX)
		return lt_error_set(err, LT_EFATAL, "detections of one block: %zu bytes, more than %zu", raw->len,
		                    DETBLOCK_RAW_MAX);
	return LT_OK;
}

lt_status detblock_encode(const detblock_entry *const *entries, size_t rows, buf *out, lt_error *err)
{
	buf raw;
	buf_init(&raw, 0);
	lt_status st = list_entries(entries, rows, &raw, err);
	size_t before = out->len;
	if (st == LT_OK && varint_put(out, raw.len) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "out of memory storing detections");
	uLongf zn = compressBound((uLong)raw.len);
	char *z = st == LT_OK ? buf_reserve(out, zn) : NULL;
	if (st == LT_OK && z == NULL)
		st = lt_error_set(err, LT_EFATAL, "out of memory storing detections");
	if (st == LT_OK && compress2((Bytef *)z, &zn, (const Bytef *)raw.data, (uLong)raw.len, DETBLOCK_ZLIB_LEVEL) != Z_OK)
		st = lt_error_set(err, LT_EFATAL, "cannot compress detections");
	if (st == LT_OK)
		buf_commit(out, zn);
	else
		out->len = before;
	buf_free(&raw);
	return st;
}

static lt_status bad(lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFILE, "stored detections: %s", what);
}

static lt_status inflate_raw(detblock *b, const unsigned char *p, size_t n, lt_error *err)
{
	size_t pos = 0;
	uint64_t rawlen = 0;
	if (!varint_get(p, n, &pos, &rawlen) || rawlen > DETBLOCK_RAW_MAX)
		return bad(err, "bad length");
	b->raw = malloc(rawlen ? (size_t)rawlen : 1);
	if (b->raw == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory reading detections");
	uLongf got = (uLongf)rawlen;
	int rc = uncompress(b->raw, &got, p + pos, (uLong)(n - pos));
	if (rc != Z_OK || got != rawlen)
		return bad(err, rc == Z_MEM_ERROR ? "out of memory" : "damaged zlib stream");
	b->rawlen = (size_t)rawlen;
	return LT_OK;
}

static lt_status index_rows(detblock *b, lt_error *err)
{
	size_t pos = 0;
	uint64_t count = 0, last = 0;
	if (!varint_get(b->raw, b->rawlen, &pos, &count) || count > b->nrows)
		return bad(err, "bad entry count");
	for (uint64_t k = 0; k < count; k++) {
		uint64_t row = 0, len2 = 0;
		if (!varint_get(b->raw, b->rawlen, &pos, &row) || row >= b->nrows || (k > 0 && row <= last))
			return bad(err, "rows out of order or range");
		if (!varint_get(b->raw, b->rawlen, &pos, &len2) || len2 / 2 > b->rawlen - pos)
			return bad(err, "entry longer than the block");
		detblock_entry *e = &b->rows[row];
		e->n = (size_t)(len2 / 2);
		e->deferred = (len2 & 1) != 0;
		e->bytes = e->n ? b->raw + pos : NULL;
		if (e->deferred && e->n != 0)
			return bad(err, "deferred entry with bytes");
		b->present[row] = 1;
		pos += e->n;
		last = row;
	}
	return pos == b->rawlen ? LT_OK : bad(err, "trailing bytes");
}

lt_status detblock_decode(const void *data, size_t n, size_t rows, detblock **out, lt_error *err)
{
	*out = NULL;
	detblock *b = calloc(1, sizeof *b);
	if (b == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory reading detections");
	b->nrows = rows;
	b->rows = calloc(rows ? rows : 1, sizeof *b->rows);
	b->present = calloc(rows ? rows : 1, 1);
	lt_status st = b->rows == NULL || b->present == NULL
	                   ? lt_error_set(err, LT_EFATAL, "out of memory reading detections")
	                   : inflate_raw(b, data, n, err);
	if (st == LT_OK)
		st = index_rows(b, err);
	if (st != LT_OK) {
		detblock_free(b);
		return st;
	}
	*out = b;
	return LT_OK;
}

const detblock_entry *detblock_row(const detblock *b, size_t i)
{
	return i < b->nrows && b->present[i] ? &b->rows[i] : NULL;
}

size_t detblock_mem(const detblock *b)
{
	return b->rawlen + b->nrows * (sizeof *b->rows + 1);
}

void detblock_free(detblock *b)
{
	if (b == NULL)
		return;
	free(b->raw);
	free(b->rows);
	free(b->present);
	free(b);
}

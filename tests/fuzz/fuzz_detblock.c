/*
 * fuzz_detblock.c — libFuzzer target for store/detblock (the stored
 * detections of one event block, read back from a case that may be hostile).
 *
 * Byte 0 is the block's row count (1..256); the rest is given to
 * detblock_decode twice: as is (the zlib form), and compressed here first, so
 * that the entry parser behind zlib gets exercised. Whenever a decode
 * succeeds, the entries are encoded again and must decode to the same bytes.
 * Build: CC=clang ../configure --enable-fuzz && make tests/fuzz/fuzz_detblock
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/buf.h"
#include "common/varint.h"
#include "store/detblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

static void round_trip(const detblock *b, size_t rows)
{
	const detblock_entry **e = calloc(rows, sizeof *e);
	must(e != NULL);
	for (size_t i = 0; i < rows; i++)
		e[i] = detblock_row(b, i);
	buf out;
	buf_init(&out, 0);
	lt_error err;
	must(detblock_encode(e, rows, &out, &err) == LT_OK);
	detblock *c = NULL;
	must(detblock_decode(out.data, out.len, rows, &c, &err) == LT_OK);
	for (size_t i = 0; i < rows; i++) {
		const detblock_entry *x = detblock_row(b, i), *y = detblock_row(c, i);
		must((x == NULL) == (y == NULL));
		if (x != NULL)
			must(x->n == y->n && x->deferred == y->deferred && (x->n == 0 || memcmp(x->bytes, y->bytes, x->n) == 0));
	}
	detblock_free(c);
	buf_free(&out);
	free(e);
}

static void try_decode(const void *p, size_t n, size_t rows)
{
	detblock *b = NULL;
	lt_error err;
	if (detblock_decode(p, n, rows, &b, &err) == LT_OK) {
		round_trip(b, rows);
		detblock_free(b);
	} else {
		must(b == NULL && err.msg[0] != '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t rows = (size_t)data[0] + 1;
	try_decode(data + 1, size - 1, rows);
	buf z;
	buf_init(&z, 0);
	uLongf zn = compressBound((uLong)(size - 1));
	must(varint_put(&z, size - 1) == LT_OK);
	char *at = buf_reserve(&z, zn);
	must(at != NULL);
	must(compress2((Bytef *)at, &zn, data + 1, (uLong)(size - 1), 1) == Z_OK);
	buf_commit(&z, zn);
	try_decode(z.data, z.len, rows);
	buf_free(&z);
	return 0;
}

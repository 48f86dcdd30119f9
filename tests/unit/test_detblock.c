/* Unit tests for store/detblock: round trips, empty blocks, deferred rows,
 * and damaged or hostile bytes (never a crash, always a precise LT_EFILE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "config.h"
#include "common/varint.h"
#include "store/detblock.h"

static void encode(const detblock_entry *const *e, size_t rows, buf *out)
{
	lt_error err;
	buf_init(out, 0);
	assert_int_equal(detblock_encode(e, rows, out, &err), LT_OK);
}

/* A zlib-wrapped raw list, as detblock_encode frames it, from bytes given here. */
static void wrap(const unsigned char *raw, size_t n, buf *out)
{
	buf_init(out, 0);
	assert_int_equal(varint_put(out, n), LT_OK);
	uLongf zn = compressBound((uLong)n);
	char *at = buf_reserve(out, zn);
	assert_non_null(at);
	assert_int_equal(compress2((Bytef *)at, &zn, raw, (uLong)n, 1), Z_OK);
	buf_commit(out, zn);
}

static void detblock__rows_round_trip__same_entries(void **state)
{
	(void)state;
	detblock_entry a = {"hello", 5, false}, d = {NULL, 0, true}, big = {NULL, 0, false};
	char *blob = malloc(100000);
	assert_non_null(blob);
	memset(blob, 'x', 100000);
	big.bytes = blob;
	big.n = 100000;
	const detblock_entry *rows[6] = {NULL, &a, NULL, &d, &big, NULL};
	buf b;
	encode(rows, 6, &b);
	detblock *db = NULL;
	lt_error err;
	assert_int_equal(detblock_decode(b.data, b.len, 6, &db, &err), LT_OK);
	assert_null(detblock_row(db, 0));
	assert_null(detblock_row(db, 2));
	assert_null(detblock_row(db, 5));
	assert_null(detblock_row(db, 6)); /* past the block */
	const detblock_entry *x = detblock_row(db, 1);
	assert_non_null(x);
	assert_int_equal(x->n, 5);
	assert_false(x->deferred);
	assert_memory_equal(x->bytes, "hello", 5);
	x = detblock_row(db, 3);
	assert_non_null(x);
	assert_true(x->deferred);
	assert_int_equal(x->n, 0);
	x = detblock_row(db, 4);
	assert_int_equal(x->n, 100000);
	assert_memory_equal(x->bytes, blob, 100000);
	assert_true(b.len < 2000); /* repetitive detections compress */
	detblock_free(db);
	buf_free(&b);
	free(blob);
}

static void detblock__nothing_matched__decodes_empty(void **state)
{
	(void)state;
	const detblock_entry *rows[3] = {NULL, NULL, NULL};
	buf b;
	encode(rows, 3, &b);
	detblock *db = NULL;
	lt_error err;
	assert_int_equal(detblock_decode(b.data, b.len, 3, &db, &err), LT_OK);
	for (size_t i = 0; i < 3; i++)
		assert_null(detblock_row(db, i));
	detblock_free(db);
	buf_free(&b);
}

static void expect_damaged(const unsigned char *raw, size_t n, size_t rows, const char *what)
{
	buf b;
	wrap(raw, n, &b);
	detblock *db = (detblock *)&b; /* must be reset to NULL */
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(detblock_decode(b.data, b.len, rows, &db, &err), LT_EFILE);
	assert_null(db);
	assert_non_null(strstr(err.msg, what));
	buf_free(&b);
}

static void detblock__hostile_lists__precise_errors(void **state)
{
	(void)state;
	const unsigned char too_many[] = {5, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0};
	expect_damaged(too_many, sizeof too_many, 3, "entry count");
	const unsigned char out_of_range[] = {1, 7, 0};
	expect_damaged(out_of_range, sizeof out_of_range, 3, "out of order or range");
	const unsigned char not_ascending[] = {2, 1, 0, 1, 0};
	expect_damaged(not_ascending, sizeof not_ascending, 3, "out of order or range");
	const unsigned char too_long[] = {1, 0, 200, 1, 'a'};
	expect_damaged(too_long, sizeof too_long, 3, "longer than the block");
	const unsigned char deferred_bytes[] = {1, 0, 3, 'a'};
	expect_damaged(deferred_bytes, sizeof deferred_bytes, 3, "deferred entry with bytes");
	const unsigned char trailing[] = {0, 9};
	expect_damaged(trailing, sizeof trailing, 3, "trailing bytes");
	const unsigned char cut_varint[] = {1, 0x80};
	expect_damaged(cut_varint, sizeof cut_varint, 3, "out of order or range");
}

static void detblock__damaged_frame__precise_errors(void **state)
{
	(void)state;
	detblock *db = NULL;
	lt_error err;
	const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
	assert_int_equal(detblock_decode(huge, sizeof huge, 1, &db, &err), LT_EFILE);
	assert_non_null(strstr(err.msg, "bad length"));
	const unsigned char notzlib[] = {3, 1, 2, 3, 4};
	assert_int_equal(detblock_decode(notzlib, sizeof notzlib, 1, &db, &err), LT_EFILE);
	assert_non_null(strstr(err.msg, "zlib"));
	assert_int_equal(detblock_decode("", 0, 1, &db, &err), LT_EFILE);
	assert_null(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(detblock__rows_round_trip__same_entries),
		cmocka_unit_test(detblock__nothing_matched__decodes_empty),
		cmocka_unit_test(detblock__hostile_lists__precise_errors),
		cmocka_unit_test(detblock__damaged_frame__precise_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

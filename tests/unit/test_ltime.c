/* Unit tests for common/ltime: the timestamp shapes AWS emits, and rejects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/ltime.h"

static int64_t parse_ok(const char *s)
{
	int64_t us = 0;
	assert_int_equal(ltime_parse(s, strlen(s), &us), LT_OK);
	return us;
}

static void ltime__zulu_seconds__parses(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2024-05-01T12:03:04Z"), INT64_C(1714564984000000));
}

static void ltime__fractions__truncate_to_microseconds(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2024-05-01T12:03:04.5Z"), INT64_C(1714564984500000));
	assert_int_equal(parse_ok("2024-05-01T12:03:04.123Z"), INT64_C(1714564984123000));
	assert_int_equal(parse_ok("2024-05-01T12:03:04.123456789Z"), INT64_C(1714564984123456));
}

static void ltime__offsets__convert_to_utc(void **state)
{
	(void)state;
	int64_t z = parse_ok("2024-05-01T12:03:04Z");
	assert_int_equal(parse_ok("2024-05-01T14:03:04+02:00"), z);
	assert_int_equal(parse_ok("2024-05-01T06:33:04-0530"), z);
	assert_int_equal(parse_ok("2024-05-01T13:03:04+01"), z);
	assert_int_equal(parse_ok("2024-05-01 12:03:04z"), z);
	assert_int_equal(parse_ok("2024-05-01t12:03:04Z"), z);
	assert_int_equal(parse_ok("2024-05-01T12:03:04"), z);
	assert_int_equal(parse_ok("2024-05-01T12:03"), z - 4000000);
}

static void ltime__date_only__is_midnight(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2024-02-29"), INT64_C(1709164800000000));
}

static void ltime__before_epoch__is_negative(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), INT64_C(-1000000));
	char out[LTIME_BUFSZ];
	ltime_format(INT64_C(-1), 6, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
}

static void ltime__leap_second__clamps(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), parse_ok("2016-12-31T23:59:59.999999Z"));
}

static void ltime__invalid__rejected(void **state)
{
	(void)state;
	const char *bad[] = {"", "2024", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
	                     "2024-05-01T25:00:00Z", "2024-05-01T12:60:00Z",
	                     "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk", "2024-05-01T12:00:00+2",
	                     "2024-05-01T12:00:00+24:00", "abcd-ef-ghT00:00:00Z", "2024-05-01X12:00:00Z"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t us = 42;
		assert_int_equal(ltime_parse(bad[i], strlen(bad[i]), &us), LT_EITEM);
		assert_int_equal(us, 42);
	}
}

static void ltime__format__round_trips(void **state)
{
	(void)state;
	char out[LTIME_BUFSZ];
	int64_t t = parse_ok("2024-05-01T12:03:04.123456Z");
	ltime_format(t, 6, out);
	assert_string_equal(out, "2024-05-01T12:03:04.123456Z");
	ltime_format(t, 3, out);
	assert_string_equal(out, "2024-05-01T12:03:04.123Z");
	assert_int_equal(ltime_format(t, 0, out), 20);
	assert_string_equal(out, "2024-05-01T12:03:04Z");
	for (int64_t x = -INT64_C(86400000000) * 800; x < INT64_C(86400000000) * 30000;
	     x += INT64_C(86400000000) * 37 + 1234567) {
		size_t n = ltime_format(x, 6, out);
		assert_int_equal(parse_ok(out), x);
		assert_int_equal(n, strlen(out));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ltime__zulu_seconds__parses),
		cmocka_unit_test(ltime__fractions__truncate_to_microseconds),
		cmocka_unit_test(ltime__offsets__convert_to_utc),
		cmocka_unit_test(ltime__date_only__is_midnight),
		cmocka_unit_test(ltime__before_epoch__is_negative),
		cmocka_unit_test(ltime__leap_second__clamps),
		cmocka_unit_test(ltime__invalid__rejected),
		cmocka_unit_test(ltime__format__round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

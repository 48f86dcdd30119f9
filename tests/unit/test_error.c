/* Unit tests for common/error: set, where, format, escaping, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/error.h"

static void error__set__returns_status_and_formats(void **state)
{
	(void)state;
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(lt_error_set(&e, LT_EFILE, "truncated gzip: %d bytes", 12), LT_EFILE);
	lt_error_where(&e, "ev.tar", "a/b.json.gz", 7);
	e.offset = 99;
	char out[256];
	lt_error_format(&e, out, sizeof out);
	assert_string_equal(out, "ev.tar: a/b.json.gz: line 7: offset 99: truncated gzip: 12 bytes");
}

static void error__format__escapes_control_bytes(void **state)
{
	(void)state;
	lt_error e;
	lt_error_clear(&e);
	lt_error_set(&e, LT_EITEM, "bad \x1b[31mred");
	lt_error_where(&e, "x\ny", NULL, 0);
	char out[256];
	lt_error_format(&e, out, sizeof out);
	assert_string_equal(out, "x\\ny: bad \\x1B[31mred");
}

static void error__format__truncates_and_reports_full_length(void **state)
{
	(void)state;
	lt_error e;
	lt_error_clear(&e);
	lt_error_set(&e, LT_EITEM, "0123456789");
	char out[5];
	size_t n = lt_error_format(&e, out, sizeof out);
	assert_int_equal(n, 10);
	assert_string_equal(out, "0123");
}

static void error__null_error__is_tolerated(void **state)
{
	(void)state;
	assert_int_equal(lt_error_set(NULL, LT_EFATAL, "x"), LT_EFATAL);
	lt_error_where(NULL, "a", "b", 1);
	lt_error_clear(NULL);
	assert_int_equal(lt_status_worst(LT_EITEM, LT_EFILE), LT_EFILE);
	assert_string_equal(lt_status_name(LT_EFATAL), "fatal");
}

static void error__where__truncates_long_paths(void **state)
{
	(void)state;
	lt_error e;
	lt_error_clear(&e);
	char longpath[3000];
	memset(longpath, 'p', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	lt_error_where(&e, longpath, longpath, 1);
	assert_int_equal(strlen(e.file), LT_ERROR_PATH_MAX - 1);
	assert_int_equal(strlen(e.member), LT_ERROR_PATH_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error__set__returns_status_and_formats),
		cmocka_unit_test(error__format__escapes_control_bytes),
		cmocka_unit_test(error__format__truncates_and_reports_full_length),
		cmocka_unit_test(error__null_error__is_tolerated),
		cmocka_unit_test(error__where__truncates_long_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for common/buf: growth, caps, printf, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static void buf__append__grows_and_terminates(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	assert_string_equal(buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_append(&b, "abc", 3), LT_OK);
	assert_int_equal(b.len, 3000);
	assert_int_equal(b.data[3000], '\0');
	assert_memory_equal(b.data + 2997, "abc", 3);
	buf_free(&b);
	assert_null(b.data);
}

static void buf__past_cap__fails_and_leaves_buffer_unchanged(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "0123456789"), LT_OK);
	assert_int_equal(buf_putc(&b, 'x'), LT_EITEM);
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_cstr(&b), "0123456789");
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "01234567890"), LT_EITEM);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void buf__printf__formats_long_output(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), LT_OK);
	char big[1000];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", big), LT_OK);
	assert_int_equal(b.len, 4 + 1001);
	assert_int_equal(b.data[4], '[');
	assert_int_equal(b.data[b.len - 1], ']');
	buf_free(&b);
}

static void buf__printf_past_cap__fails(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_printf(&b, "%s", "123456789"), LT_EITEM);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void buf__reserve_commit__appends(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	char *p = buf_reserve(&b, 5);
	assert_non_null(p);
	memcpy(p, "hello", 5);
	buf_commit(&b, 5);
	assert_string_equal(buf_cstr(&b), "hello");
	size_t len = 0;
	char *d = buf_detach(&b, &len);
	assert_int_equal(len, 5);
	assert_string_equal(d, "hello");
	assert_null(b.data);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf__append__grows_and_terminates),
		cmocka_unit_test(buf__past_cap__fails_and_leaves_buffer_unchanged),
		cmocka_unit_test(buf__printf__formats_long_output),
		cmocka_unit_test(buf__printf_past_cap__fails),
		cmocka_unit_test(buf__reserve_commit__appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

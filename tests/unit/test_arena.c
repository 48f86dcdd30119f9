/* Unit tests for common/arena: alignment, caps, reset, oversized requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/arena.h"

static void arena__alloc__is_16_byte_aligned(void **state)
{
	(void)state;
	arena *a = arena_new(128, 0);
	assert_non_null(a);
	for (size_t n = 1; n < 50; n++) {
		void *p = arena_alloc(a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, n);
	}
	arena_free(a);
}

static void arena__past_cap__returns_null(void **state)
{
	(void)state;
	arena *a = arena_new(64, 256);
	assert_non_null(a);
	assert_non_null(arena_alloc(a, 200));
	assert_null(arena_alloc(a, 100));
	/* smaller requests that still fit are served */
	assert_non_null(arena_alloc(a, 16));
	assert_true(arena_reserved(a) <= 256);
	arena_free(a);
}

static void arena__oversized_request__gets_own_block(void **state)
{
	(void)state;
	arena *a = arena_new(64, 0);
	char *big = arena_alloc(a, 10000);
	assert_non_null(big);
	memset(big, 1, 10000);
	assert_true(arena_reserved(a) >= 10000);
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	assert_int_equal(arena_reserved(a), 0); /* oversized block is not kept */
	arena_free(a);
}

static void arena__reset__keeps_first_block_and_rewinds(void **state)
{
	(void)state;
	arena *a = arena_new(256, 0);
	for (int i = 0; i < 100; i++)
		assert_non_null(arena_alloc(a, 100));
	assert_true(arena_reserved(a) > 256);
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	assert_int_equal(arena_reserved(a), 256);
	void *p = arena_alloc(a, 32);
	assert_non_null(p);
	assert_int_equal(arena_used(a), 32);
	arena_free(a);
}

static void arena__strndup__copies_and_terminates(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	char *s = arena_strndup(a, "hello world", 5);
	assert_string_equal(s, "hello");
	unsigned char *z = arena_calloc(a, 33);
	for (int i = 0; i < 33; i++)
		assert_int_equal(z[i], 0);
	arena_free(a);
}

static void arena__free_null__does_nothing(void **state)
{
	(void)state;
	arena_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arena__alloc__is_16_byte_aligned),
		cmocka_unit_test(arena__past_cap__returns_null),
		cmocka_unit_test(arena__oversized_request__gets_own_block),
		cmocka_unit_test(arena__reset__keeps_first_block_and_rewinds),
		cmocka_unit_test(arena__strndup__copies_and_terminates),
		cmocka_unit_test(arena__free_null__does_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

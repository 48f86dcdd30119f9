/*
 * test_sha256.c — ingest/sha256: FIPS 180-4 test vectors, incremental use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ingest/sha256.h"

static const char ABC448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static void sha256__known_vectors__match_fips(void **state)
{
	(void)state;
	char hex[SHA256_HEX_LEN + 1];
	assert_int_equal(sha256_hex("", 0, hex), LT_OK);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sha256_hex("abc", 3, hex), LT_OK);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sha256_hex(ABC448, strlen(ABC448), hex), LT_OK);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void sha256__million_a_in_odd_chunks__matches_vector(void **state)
{
	(void)state;
	sha256_ctx *c = sha256_new();
	assert_non_null(c);
	char chunk[997];
	memset(chunk, 'a', sizeof chunk);
	size_t left = 1000000;
	while (left > 0) {
		size_t n = left < sizeof chunk ? left : sizeof chunk;
		sha256_update(c, chunk, n);
		left -= n;
	}
	char hex[SHA256_HEX_LEN + 1];
	assert_int_equal(sha256_final_hex(c, hex), LT_OK);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	sha256_free(c);
}

static void sha256__every_split_point__equals_one_shot(void **state)
{
	(void)state;
	unsigned char data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 31 + 7);
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	assert_int_equal(sha256_hex(data, sizeof data, want), LT_OK);
	sha256_ctx *c = sha256_new();
	assert_non_null(c);
	for (size_t cut = 0; cut <= sizeof data; cut++) {
		assert_int_equal(sha256_reset(c), LT_OK);
		sha256_update(c, data, cut);
		sha256_update(c, NULL, 0);
		sha256_update(c, data + cut, sizeof data - cut);
		assert_int_equal(sha256_final_hex(c, got), LT_OK);
		assert_string_equal(got, want);
	}
	sha256_free(c);
}

static void sha256__raw_digest__hex_round_trips(void **state)
{
	(void)state;
	sha256_ctx *c = sha256_new();
	assert_non_null(c);
	sha256_update(c, "abc", 3);
	unsigned char d[SHA256_LEN];
	assert_int_equal(sha256_final(c, d), LT_OK);
	assert_int_equal(d[0], 0xba);
	assert_int_equal(d[31], 0xad);
	char hex[SHA256_HEX_LEN + 1];
	sha256_to_hex(d, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_free(c);
	sha256_free(NULL);
}

/* A long value's abbreviation: prefix (not cutting a UTF-8 character),
 * length, 128 bits of the hash; two values differing only past the prefix
 * get different abbreviations. */
static void sha256__abbrev__prefix_length_and_hash(void **state)
{
	(void)state;
	char v[300];
	memset(v, 'a', sizeof v);
	memcpy(v + 3, "\xc3\xa9", 2); /* U+00E9 across the 4-byte prefix's end */
	buf b;
	buf_init(&b, 0);
	assert_int_equal(sha256_abbrev(&b, v, sizeof v, 4), LT_OK);
	char hex[SHA256_HEX_LEN + 1];
	assert_int_equal(sha256_hex(v, sizeof v, hex), LT_OK);
	char want[128];
	snprintf(want, sizeof want, "aaa...(300 bytes, sha256:%.32s)", hex);
	assert_string_equal(buf_cstr(&b), want);
	buf c;
	buf_init(&c, 0);
	v[299] = 'b';
	assert_int_equal(sha256_abbrev(&c, v, sizeof v, 4), LT_OK);
	assert_string_not_equal(buf_cstr(&b), buf_cstr(&c));
	assert_int_equal(sha256_abbrev(&c, v, 4, 4), LT_EFATAL); /* nothing to abbreviate */
	buf_free(&b);
	buf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256__known_vectors__match_fips),
		cmocka_unit_test(sha256__million_a_in_odd_chunks__matches_vector),
		cmocka_unit_test(sha256__every_split_point__equals_one_shot),
		cmocka_unit_test(sha256__raw_digest__hex_round_trips),
		cmocka_unit_test(sha256__abbrev__prefix_length_and_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

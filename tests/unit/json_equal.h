/*
 * json_equal.h — structural equality of two json_value trees, for the JSON
 * tests and the fuzz target: same types, same string bytes, same number text,
 * same keys in the same order. Spans and flags are ignored (a round trip
 * through json_write changes where things are and whether they were escaped).
 * Header-only (static) so each test program carries its own copy.
 */
#ifndef LLMTRAIL_TESTS_JSON_EQUAL_H
#define LLMTRAIL_TESTS_JSON_EQUAL_H

#include <stdbool.h>
#include <string.h>

#include "ingest/json.h"

static bool json_equal(const json_value *a, const json_value *b)
{
	if (a->type != b->type || a->len != b->len)
		return false;
	switch (a->type) {
	case JSON_NUMBER:
	case JSON_STRING:
		return a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0;
	case JSON_ARRAY:
		for (size_t i = 0; i < a->len; i++)
			if (!json_equal(&a->u.items[i], &b->u.items[i]))
				return false;
		return true;
	case JSON_OBJECT:
		for (size_t i = 0; i < a->len; i++) {
			const json_member *ma = &a->u.members[i], *mb = &b->u.members[i];
			if (ma->key_len != mb->key_len || (ma->key_len > 0 && memcmp(ma->key, mb->key, ma->key_len) != 0))
				return false;
			if (!json_equal(&ma->value, &mb->value))
				return false;
		}
		return true;
	default:
		return true;
	}
}

#endif

/*
 * fuzz_json.c — libFuzzer target for ingest/json.
 *
 * Parses the input with a small arena cap (hostile sizes must fail cleanly),
 * in default and strict modes, with trailing data allowed or not; whenever a
 * parse succeeds, json_write (compact and pretty) must produce text that
 * parses again to an equal document, and the lookups and number conversions
 * must not misbehave on whatever was parsed.
 * Build: CC=clang ../configure --enable-fuzz && make tests/fuzz/fuzz_json
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "ingest/json.h"
#include "../unit/json_equal.h"

#define FUZZ_ARENA_CAP (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

static void touch(const json_value *v)
{
	int64_t i;
	double d;
	if (v->type == JSON_NUMBER) {
		lt_status si = json_to_int64(v, &i);
		lt_status sd = json_to_double(v, &d);
		if (si == LT_OK) {
			must(sd == LT_OK);
			if (i > -(INT64_C(1) << 53) && i < (INT64_C(1) << 53))
				must(d == (double)i);
		}
	}
	must(v->start < v->end);
	if (v->type == JSON_OBJECT && v->len > 0) {
		const json_member *m = &v->u.members[0];
		const json_value *last = json_getn(v, m->key, m->key_len);
		must(last != NULL);
		(void)json_get_path(v, "a.b.c");
	}
}

static void round_trip(const json_value *v, int indent)
{
	buf out;
	buf_init(&out, 0);
	must(json_write(&out, v, indent) == LT_OK);
	arena *b = arena_new(0, 0);
	must(b != NULL);
	json_value *w = NULL;
	lt_error err;
	must(json_parse(b, out.data, out.len, NULL, &w, NULL, &err) == LT_OK);
	must(json_equal(v, w));
	must((w->flags & JSON_F_REPLACED) == 0);
	arena_free(b);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena *a;
	if (a == NULL)
		a = arena_new(4096, FUZZ_ARENA_CAP);
	must(a != NULL);
	const char *text = (const char *)data;
	static const json_options modes[] = {{0, 0}, {JSON_STRICT_UTF8, 0}, {JSON_ALLOW_TRAILING | JSON_ALLOW_BOM, 8}};
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		json_value *v = NULL;
		size_t consumed = 0;
		lt_error err;
		arena_reset(a);
		if (json_parse(a, text, size, &modes[m], &v, &consumed, &err) != LT_OK) {
			must(v == NULL && err.status == LT_EITEM && err.offset <= size);
			continue;
		}
		must(consumed <= size && v->end <= consumed);
		if (!(modes[m].flags & JSON_ALLOW_TRAILING))
			must(consumed == size);
		if (modes[m].flags & JSON_STRICT_UTF8)
			must((v->flags & JSON_F_REPLACED) == 0);
		touch(v);
		round_trip(v, 0);
		if (m == 0)
			round_trip(v, 2);
	}
	return 0;
}

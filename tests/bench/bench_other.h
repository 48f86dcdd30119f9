/*
 * bench_other.h — the hook bench_json.c uses to time another JSON library
 * (bench_json_jansson.c, bench_json_jsonc.c) on the same records.
 */
#ifndef LLMTRAIL_TESTS_BENCH_OTHER_H
#define LLMTRAIL_TESTS_BENCH_OTHER_H

#include <stddef.h>

extern const char bench_other_name[];

/* Parses text[0..len) into that library's DOM, adds a value to *sink, frees
 * the DOM. 0 on success, -1 if the library rejected the text. */
int bench_other_parse(const char *text, size_t len, size_t *sink);

#endif

/*
 * test_jsontestsuite.c — runs json_parse over every file of JSONTestSuite's
 * test_parsing/ ($LLMTRAIL_CONFORMANCE/jsontestsuite/test_parsing) and prints
 * one TAP line per file, naming it.
 *
 *   y_*  must parse; and json_write (compact and pretty) must re-parse equal.
 *   n_*  must be rejected, both by default and with JSON_STRICT_UTF8.
 *   i_*  must behave as the decision table below says (docs/json.md lists the
 *        same decisions); an i_ file missing from the table fails, so a new
 *        suite version cannot slip through undecided.
 * Skips ("1..0 # SKIP") when the suite directory is absent.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "ingest/json.h"
#include "json_equal.h"

#define FILE_CAP (64u * 1024 * 1024)
#define ARENA_CAP (256u * 1024 * 1024)

typedef struct decision {
	const char *name;
	bool accept;        /* default options */
	bool accept_strict; /* JSON_STRICT_UTF8 */
	bool replaced;      /* root carries JSON_F_REPLACED when accepted by default */
	unsigned alt_flags; /* a second check with these options... */
	unsigned alt_depth;
	bool alt_accept; /* ...must give this result (only when alt_flags or alt_depth set) */
} decision;

static const decision decisions[] = {
	/* numbers of any magnitude parse; conversions report overflow */
	{"i_number_double_huge_neg_exp.json", true, true, false, 0, 0, false},
	{"i_number_huge_exp.json", true, true, false, 0, 0, false},
	{"i_number_neg_int_huge_exp.json", true, true, false, 0, 0, false},
	{"i_number_pos_double_huge_exp.json", true, true, false, 0, 0, false},
	{"i_number_real_neg_overflow.json", true, true, false, 0, 0, false},
	{"i_number_real_pos_overflow.json", true, true, false, 0, 0, false},
	{"i_number_real_underflow.json", true, true, false, 0, 0, false},
	{"i_number_too_big_neg_int.json", true, true, false, 0, 0, false},
	{"i_number_too_big_pos_int.json", true, true, false, 0, 0, false},
	{"i_number_very_big_negative_int.json", true, true, false, 0, 0, false},
	/* lone surrogates: U+FFFD + flag, error in strict mode */
	{"i_object_key_lone_2nd_surrogate.json", true, false, true, 0, 0, false},
	{"i_string_1st_surrogate_but_2nd_missing.json", true, false, true, 0, 0, false},
	{"i_string_1st_valid_surrogate_2nd_invalid.json", true, false, true, 0, 0, false},
	{"i_string_incomplete_surrogate_and_escape_valid.json", true, false, true, 0, 0, false},
	{"i_string_incomplete_surrogate_pair.json", true, false, true, 0, 0, false},
	{"i_string_incomplete_surrogates_escape_valid.json", true, false, true, 0, 0, false},
	{"i_string_invalid_lonely_surrogate.json", true, false, true, 0, 0, false},
	{"i_string_invalid_surrogate.json", true, false, true, 0, 0, false},
	{"i_string_inverted_surrogates_U+1D11E.json", true, false, true, 0, 0, false},
	{"i_string_lone_second_surrogate.json", true, false, true, 0, 0, false},
	/* invalid UTF-8: U+FFFD + flag, error in strict mode */
	{"i_string_UTF-8_invalid_sequence.json", true, false, true, 0, 0, false},
	{"i_string_UTF8_surrogate_U+D800.json", true, false, true, 0, 0, false},
	{"i_string_invalid_utf-8.json", true, false, true, 0, 0, false},
	{"i_string_iso_latin_1.json", true, false, true, 0, 0, false},
	{"i_string_lone_utf8_continuation_byte.json", true, false, true, 0, 0, false},
	{"i_string_not_in_unicode_range.json", true, false, true, 0, 0, false},
	{"i_string_overlong_sequence_2_bytes.json", true, false, true, 0, 0, false},
	{"i_string_overlong_sequence_6_bytes.json", true, false, true, 0, 0, false},
	{"i_string_overlong_sequence_6_bytes_null.json", true, false, true, 0, 0, false},
	{"i_string_truncated-utf-8.json", true, false, true, 0, 0, false},
	/* UTF-16 input is rejected */
	{"i_string_UTF-16LE_with_BOM.json", false, false, false, 0, 0, false},
	{"i_string_utf16BE_no_BOM.json", false, false, false, 0, 0, false},
	{"i_string_utf16LE_no_BOM.json", false, false, false, 0, 0, false},
	/* 500 levels exceed the default max_depth (256); allowed when raised */
	{"i_structure_500_nested_arrays.json", false, false, false, 0, 1000, true},
	/* a UTF-8 BOM is rejected unless JSON_ALLOW_BOM */
	{"i_structure_UTF-8_BOM_empty_object.json", false, false, false, JSON_ALLOW_BOM, 0, true},
};

static int test_no;
static int failures;

static void report(bool ok, const char *name, const char *why)
{
	test_no++;
	if (!ok)
		failures++;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", test_no, name, ok ? "" : ": ", ok ? "" : why);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *data = NULL;
	long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (size >= 0 && (unsigned long)size <= FILE_CAP && fseek(f, 0, SEEK_SET) == 0)
		data = malloc((size_t)size + 1);
	if (data != NULL)
		*len = fread(data, 1, (size_t)size, f);
	fclose(f);
	return data;
}

/* Parses with the given options; true on LT_OK. *root_flags gets the root's flags. */
static bool parses(arena *a, const char *text, size_t len, unsigned flags, unsigned depth,
                   uint32_t *root_flags, lt_error *err)
{
	json_options o = {flags, depth};
	json_value *v = NULL;
	arena_reset(a);
	lt_error_clear(err);
	lt_status st = json_parse(a, text, len, &o, &v, NULL, err);
	if (root_flags != NULL)
		*root_flags = st == LT_OK ? v->flags : 0;
	return st == LT_OK;
}

/* json_write at this indent, re-parse, compare with v. */
static bool round_trips(const json_value *v, int indent)
{
	buf out;
	buf_init(&out, 0);
	arena *b = arena_new(0, ARENA_CAP);
	json_value *w = NULL;
	lt_error err;
	bool ok = b != NULL && json_write(&out, v, indent) == LT_OK &&
	          json_parse(b, out.data, out.len, NULL, &w, NULL, &err) == LT_OK && json_equal(v, w);
	arena_free(b);
	buf_free(&out);
	return ok;
}

static void check_y(arena *a, const char *name, const char *text, size_t len)
{
	json_value *v = NULL;
	lt_error err;
	arena_reset(a);
	lt_error_clear(&err);
	if (json_parse(a, text, len, NULL, &v, NULL, &err) != LT_OK) {
		char why[LT_ERROR_MSG_MAX + 64];
		snprintf(why, sizeof why, "rejected at offset %llu: %s", (unsigned long long)err.offset, err.msg);
		report(false, name, why);
		return;
	}
	if (!round_trips(v, 0) || !round_trips(v, 2))
		report(false, name, "json_write output does not re-parse equal");
	else
		report(true, name, "");
}

static void check_n(arena *a, const char *name, const char *text, size_t len)
{
	lt_error err;
	bool def = parses(a, text, len, 0, 0, NULL, &err);
	bool strict = parses(a, text, len, JSON_STRICT_UTF8, 0, NULL, &err);
	report(!def && !strict, name, def ? "accepted" : "accepted in strict mode");
}

static void check_i(arena *a, const char *name, const char *text, size_t len)
{
	const decision *d = NULL;
	for (size_t i = 0; i < sizeof decisions / sizeof decisions[0]; i++)
		if (strcmp(decisions[i].name, name) == 0)
			d = &decisions[i];
	if (d == NULL) {
		report(false, name, "no decision recorded for this i_ file");
		return;
	}
	lt_error err;
	uint32_t rf = 0;
	const char *why = NULL;
	if (parses(a, text, len, 0, 0, &rf, &err) != d->accept)
		why = d->accept ? "rejected by default, decision is accept" : "accepted by default, decision is reject";
	else if (d->accept && ((rf & JSON_F_REPLACED) != 0) != d->replaced)
		why = d->replaced ? "JSON_F_REPLACED missing" : "JSON_F_REPLACED set unexpectedly";
	else if (parses(a, text, len, JSON_STRICT_UTF8, 0, NULL, &err) != d->accept_strict)
		why = d->accept_strict ? "rejected in strict mode" : "accepted in strict mode";
	else if ((d->alt_flags != 0 || d->alt_depth != 0) &&
	         parses(a, text, len, d->alt_flags, d->alt_depth, NULL, &err) != d->alt_accept)
		why = "wrong result with the alternative options";
	report(why == NULL, name, why != NULL ? why : "");
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int main(void)
{
	const char *conf = getenv("LLMTRAIL_CONFORMANCE");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/jsontestsuite/test_parsing", conf != NULL ? conf : "../shared/conformance");
	DIR *dh = opendir(dir);
	if (dh == NULL) {
		printf("1..0 # SKIP conformance suite not available: %s\n", dir);
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *e; (e = readdir(dh)) != NULL;) {
		const char *nm = e->d_name;
		if (!((nm[0] == 'y' || nm[0] == 'n' || nm[0] == 'i') && nm[1] == '_'))
			continue;
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 512;
			char **grown = realloc(names, cap * sizeof *names);
			if (grown == NULL)
				return 99;
			names = grown;
		}
		size_t len = strlen(nm) + 1;
		if ((names[n] = malloc(len)) == NULL)
			return 99;
		memcpy(names[n++], nm, len);
	}
	closedir(dh);
	qsort(names, n, sizeof *names, by_name);
	printf("1..%zu\n", n);
	arena *a = arena_new(0, ARENA_CAP);
	if (a == NULL)
		return 99;
	size_t counts[3] = {0, 0, 0};
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		size_t len = 0;
		char *text = read_file(path, &len);
		if (text == NULL) {
			report(false, names[i], "cannot read file");
		} else if (names[i][0] == 'y') {
			counts[0]++;
			check_y(a, names[i], text, len);
		} else if (names[i][0] == 'n') {
			counts[1]++;
			check_n(a, names[i], text, len);
		} else {
			counts[2]++;
			check_i(a, names[i], text, len);
		}
		free(text);
		free(names[i]);
	}
	free(names);
	arena_free(a);
	printf("# checked %zu files (%zu y_, %zu n_, %zu i_): %d failed\n", n, counts[0], counts[1], counts[2],
	       failures);
	return failures != 0;
}

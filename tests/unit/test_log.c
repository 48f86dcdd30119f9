/* Unit tests for common/log: levels filter, evidence text is escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* Runs fn with stderr redirected to a temp file; returns what it wrote. */
static void capture_stderr(void (*fn)(void), char *out, size_t n)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	int saved = dup(fileno(stderr));
	dup2(fileno(tmp), fileno(stderr));
	fn();
	fflush(stderr);
	dup2(saved, fileno(stderr));
	close(saved);
	rewind(tmp);
	size_t k = fread(out, 1, n - 1, tmp);
	out[k] = '\0';
	fclose(tmp);
}

static void emit_all_levels(void)
{
	log_error("e%d", 1);
	log_warn("w");
	log_info("i");
	log_debug("d");
}

static void log__level_warn__shows_errors_and_warnings(void **state)
{
	(void)state;
	char out[512];
	log_set_level(LT_LOG_WARN);
	capture_stderr(emit_all_levels, out, sizeof out);
	assert_string_equal(out, "llmtrail: error: e1\nllmtrail: warning: w\n");
	log_set_level(LT_LOG_QUIET);
	capture_stderr(emit_all_levels, out, sizeof out);
	assert_string_equal(out, "");
	log_set_level(LT_LOG_DEBUG);
	assert_int_equal(log_get_level(), LT_LOG_DEBUG);
	capture_stderr(emit_all_levels, out, sizeof out);
	assert_non_null(strstr(out, "llmtrail: debug: d\n"));
}

static void emit_hostile(void)
{
	log_error("member %s", "evil\x1b]0;pwned\x07\nfake: line");
}

static void log__control_bytes__are_escaped(void **state)
{
	(void)state;
	char out[512];
	log_set_level(LT_LOG_WARN);
	capture_stderr(emit_hostile, out, sizeof out);
	assert_string_equal(out, "llmtrail: error: member evil\\x1B]0;pwned\\x07\\nfake: line\n");
}

static void emit_lt_error(void)
{
	lt_error e;
	lt_error_clear(&e);
	lt_error_set(&e, LT_EITEM, "invalid JSON");
	lt_error_where(&e, "a.tar", "x.json", 3);
	log_lt_error(&e);
}

static void log__lt_error__names_file_member_line(void **state)
{
	(void)state;
	char out[512];
	log_set_level(LT_LOG_WARN);
	capture_stderr(emit_lt_error, out, sizeof out);
	assert_string_equal(out, "llmtrail: warning: a.tar: x.json: line 3: invalid JSON\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log__level_warn__shows_errors_and_warnings),
		cmocka_unit_test(log__control_bytes__are_escaped),
		cmocka_unit_test(log__lt_error__names_file_member_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

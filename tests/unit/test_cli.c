/* Unit tests for cmd/cli and cmd/exitcode: option parsing, precedence of exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/exitcode.h"

static void exitcode__precedence__fatal_usage_unreadable_findings(void **state)
{
	(void)state;
	exit_state s = {0};
	assert_int_equal(exit_state_code(&s), LT_EXIT_CLEAN);
	exit_state_note(&s, LT_EXIT_FINDINGS);
	assert_int_equal(exit_state_code(&s), LT_EXIT_FINDINGS);
	exit_state_note(&s, LT_EXIT_UNREADABLE);
	assert_int_equal(exit_state_code(&s), LT_EXIT_UNREADABLE);
	exit_state_note(&s, LT_EXIT_USAGE);
	assert_int_equal(exit_state_code(&s), LT_EXIT_USAGE);
	exit_state_note(&s, LT_EXIT_FATAL);
	assert_int_equal(exit_state_code(&s), LT_EXIT_FATAL);
	exit_state_note(&s, 99); /* out of range: ignored */
	assert_int_equal(exit_state_code(&s), LT_EXIT_FATAL);
}

typedef struct seen {
	int jobs;
	const char *out;
	int flag;
} seen;

static int on_opt(void *ctx, const cli_option *o, const char *v)
{
	seen *s = ctx;
	if (strcmp(o->name, "jobs") == 0)
		s->jobs = v[0] - '0';
	else if (strcmp(o->name, "output") == 0)
		s->out = v;
	else if (strcmp(o->name, "flag") == 0)
		s->flag = 1;
	return 0;
}

static const cli_option test_opts[] = {
	{"jobs", 'j', "N", "jobs"},
	{"output", 'o', "DIR", "dir"},
	{"flag", 0, NULL, "a flag"},
	{NULL, 0, NULL, NULL},
};
static const command test_cmd = {"t", "A B", "test", test_opts, 2, 2, NULL};

static void cli__parse__options_and_positionals(void **state)
{
	(void)state;
	char a0[] = "t", a1[] = "-j", a2[] = "3", a3[] = "x", a4[] = "--output=d", a5[] = "y",
	     a6[] = "--flag";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, NULL};
	seen s = {0, NULL, 0};
	int npos = 0, code = -1;
	int first = cli_parse(&test_cmd, 7, argv, on_opt, &s, &npos, &code);
	assert_true(first > 0);
	assert_int_equal(npos, 2);
	assert_string_equal(argv[first], "x");
	assert_string_equal(argv[first + 1], "y");
	assert_int_equal(s.jobs, 3);
	assert_string_equal(s.out, "d");
	assert_int_equal(s.flag, 1);
	assert_int_equal(code, LT_EXIT_CLEAN);
}

static void cli__unknown_option__is_usage_error(void **state)
{
	(void)state;
	char a0[] = "t", a1[] = "--nope", a2[] = "x", a3[] = "y";
	char *argv[] = {a0, a1, a2, a3, NULL};
	int npos, code = 0;
	fflush(stderr);
	FILE *saved = stderr;
	stderr = tmpfile();
	int r = cli_parse(&test_cmd, 4, argv, on_opt, NULL, &npos, &code);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(r, -1);
	assert_int_equal(code, LT_EXIT_USAGE);
}

static void cli__wrong_positional_count__is_usage_error(void **state)
{
	(void)state;
	char a0[] = "t", a1[] = "x";
	char *argv[] = {a0, a1, NULL};
	int npos, code = 0;
	FILE *saved = stderr;
	stderr = tmpfile();
	int r = cli_parse(&test_cmd, 2, argv, on_opt, NULL, &npos, &code);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(r, -1);
	assert_int_equal(code, LT_EXIT_USAGE);
}

static void cli__table__every_command_found_by_name(void **state)
{
	(void)state;
	size_t n = 0;
	for (; cli_commands[n] != NULL; n++) {
		assert_ptr_equal(cli_find(cli_commands[n]->name), cli_commands[n]);
		assert_non_null(cli_commands[n]->main);
		assert_true(strlen(cli_commands[n]->summary) > 10);
	}
	assert_int_equal(n, 8);
	assert_null(cli_find("nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exitcode__precedence__fatal_usage_unreadable_findings),
		cmocka_unit_test(cli__parse__options_and_positionals),
		cmocka_unit_test(cli__unknown_option__is_usage_error),
		cmocka_unit_test(cli__wrong_positional_count__is_usage_error),
		cmocka_unit_test(cli__table__every_command_found_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

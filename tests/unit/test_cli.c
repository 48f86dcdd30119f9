/* Unit tests for cmd/cli and pipeline/exitcode: option parsing, precedence of exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "pipeline/exitcode.h"

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
	assert_int_equal(n, 10);
	assert_null(cli_find("nope"));
}


static void cli__take_globals__anywhere_but_never_an_option_value(void **state)
{
	(void)state;
	char a0[] = "t", a1[] = "x", a2[] = "-q", a3[] = "-o", a4[] = "-v", a5[] = "--color", a6[] = "never",
	     a7[] = "y", a8[] = "--output", a9[] = "--quiet", a10[] = "--", a11[] = "-v";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, NULL};
	cli_globals g = {0, 0, NULL};
	int argc = cli_take_globals(&test_cmd, 12, argv, &g);
	/* -q and "--color never" are globals; "-o -v" and "--output --quiet" give
	 * values to -o/--output; after "--" nothing is taken */
	assert_int_equal(argc, 9);
	assert_string_equal(argv[1], "x");
	assert_string_equal(argv[2], "-o");
	assert_string_equal(argv[3], "-v");
	assert_string_equal(argv[4], "y");
	assert_string_equal(argv[5], "--output");
	assert_string_equal(argv[6], "--quiet");
	assert_string_equal(argv[7], "--");
	assert_string_equal(argv[8], "-v");
	assert_null(argv[9]);
	assert_int_equal(g.quiet, 1);
	assert_int_equal(g.verbose, 0);
	assert_string_equal(g.color, "never");
}

static void cli__take_globals__missing_color_value__usage(void **state)
{
	(void)state;
	char a0[] = "t", a1[] = "x", a2[] = "--color";
	char *argv[] = {a0, a1, a2, NULL};
	cli_globals g = {0, 0, NULL};
	assert_int_equal(cli_take_globals(&test_cmd, 3, argv, &g), -1);
	char b0[] = "t", b1[] = "--color=always", b2[] = "-vv", b3[] = "-v";
	char *bv[] = {b0, b1, b2, b3, NULL};
	assert_int_equal(cli_take_globals(&test_cmd, 4, bv, &g), 1);
	assert_string_equal(g.color, "always");
	assert_int_equal(g.verbose, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli__take_globals__anywhere_but_never_an_option_value),
		cmocka_unit_test(cli__take_globals__missing_color_value__usage),
		cmocka_unit_test(exitcode__precedence__fatal_usage_unreadable_findings),
		cmocka_unit_test(cli__parse__options_and_positionals),
		cmocka_unit_test(cli__unknown_option__is_usage_error),
		cmocka_unit_test(cli__wrong_positional_count__is_usage_error),
		cmocka_unit_test(cli__table__every_command_found_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

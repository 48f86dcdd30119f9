/*
 * main.c — `llmtrail <command> [options]`: global options, then dispatch
 * through the command table (cmd/commands.c). Everything else lives in
 * libllmtrail.a so that tests can link it.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "pipeline/exitcode.h"
#include "pipeline/term.h"
#include "cmd/version.h"
#include "common/log.h"

static void print_help(FILE *out)
{
	fprintf(out, "usage: llmtrail [-q|-v] [--color WHEN] <command> [options] [arguments]\n"
	             "       llmtrail --version | --help\n\n"
	             "Offline forensic analyzer for Amazon Bedrock invocation logs and CloudTrail.\n\n"
	             "commands:\n");
	for (size_t i = 0; cli_commands[i] != NULL; i++)
		fprintf(out, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(out, "\nglobal options:\n");
	for (size_t i = 0; cli_global_options[i].name != NULL; i++) {
		const cli_option *o = &cli_global_options[i];
		char left[40];
		snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		if (o->short_name)
			fprintf(out, "  -%c, %-20s %s\n", o->short_name, left, o->help);
		else
			fprintf(out, "      %-20s %s\n", left, o->help);
	}
	fprintf(out, "  (global options may also follow the command, among its options)\n");
	fprintf(out, "  %-24s %s\n", "    --version", "print versions of llmtrail and its libraries");
	fprintf(out, "\nexit codes:\n");
	for (int c = LT_EXIT_CLEAN; c <= LT_EXIT_FATAL; c++)
		fprintf(out, "  %d  %s\n", c, exit_code_meaning(c));
	fprintf(out, "  (several apply: 4 > 2 > 3 > 1 > 0)\n");
	fprintf(out, "\nRun 'llmtrail <command> --help' for a command's options; see llmtrail(1).\n");
}

/* Applies what the global options said: the log level and the colour. */
static int apply_globals(const cli_globals *g)
{
	int verbosity = LT_LOG_WARN;
	if (g->verbose == 1)
		verbosity = LT_LOG_INFO;
	else if (g->verbose > 1)
		verbosity = LT_LOG_DEBUG;
	if (g->quiet)
		verbosity = LT_LOG_ERROR;
	log_set_level((log_level)verbosity);
	term_color_mode m = TERM_COLOR_AUTO;
	if (g->color != NULL && !term_color_parse(g->color, &m)) {
		fprintf(stderr, "llmtrail: --color wants auto, always or never, not '%s'\n", g->color);
		return LT_EXIT_USAGE;
	}
	term_set_color(m);
	return 0;
}

int main(int argc, char **argv)
{
	cli_globals g = {0, 0, NULL};
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		int took = cli_global_arg(a, i + 1 < argc ? argv[i + 1] : NULL, &g);
		if (took > 0) {
			i += took;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			version_print(stdout);
			return LT_EXIT_CLEAN;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_help(stdout);
			return LT_EXIT_CLEAN;
		}
		fprintf(stderr, "llmtrail: %s: %s\nTry 'llmtrail --help'.\n", took < 0 ? "missing value for" : "unknown option", a);
		return LT_EXIT_USAGE;
	}
	if (i >= argc) {
		print_help(stderr);
		return LT_EXIT_USAGE;
	}
	const command *c = cli_find(argv[i]);
	if (c == NULL) {
		fprintf(stderr, "llmtrail: unknown command: %s\nTry 'llmtrail --help'.\n", argv[i]);
		return LT_EXIT_USAGE;
	}
	int cargc = cli_take_globals(c, argc - i, argv + i, &g);
	if (cargc < 0)
		return LT_EXIT_USAGE;
	int rc = apply_globals(&g);
	if (rc != 0)
		return rc;
	return c->main(c, cargc, argv + i);
}

/*
 * main.c — `llmtrail <command> [options]`: global options, then dispatch
 * through the command table (cmd/commands.c). Everything else lives in
 * libllmtrail.a so that tests can link it.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/exitcode.h"
#include "cmd/version.h"
#include "common/log.h"

static void print_help(FILE *out)
{
	fprintf(out, "usage: llmtrail [-q|-v] <command> [options] [arguments]\n"
	             "       llmtrail --version | --help\n\n"
	             "Offline forensic analyzer for Amazon Bedrock invocation logs and CloudTrail.\n\n"
	             "commands:\n");
	for (size_t i = 0; cli_commands[i] != NULL; i++)
		fprintf(out, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(out, "\nglobal options:\n");
	for (size_t i = 0; cli_global_options[i].name != NULL; i++)
		fprintf(out, "  -%c, --%-18s %s\n", cli_global_options[i].short_name, cli_global_options[i].name,
		        cli_global_options[i].help);
	fprintf(out, "  %-24s %s\n", "    --version", "print versions of llmtrail and its libraries");
	fprintf(out, "\nexit codes:\n");
	for (int c = LT_EXIT_CLEAN; c <= LT_EXIT_FATAL; c++)
		fprintf(out, "  %d  %s\n", c, exit_code_meaning(c));
	fprintf(out, "  (several apply: 4 > 2 > 3 > 1 > 0)\n");
	fprintf(out, "\nRun 'llmtrail <command> --help' for a command's options; see llmtrail(1).\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	int verbosity = LT_LOG_WARN;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0) {
			version_print(stdout);
			return LT_EXIT_CLEAN;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_help(stdout);
			return LT_EXIT_CLEAN;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			verbosity = LT_LOG_ERROR;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			verbosity = verbosity < LT_LOG_INFO ? LT_LOG_INFO : LT_LOG_DEBUG;
		} else if (strcmp(a, "-vv") == 0) {
			verbosity = LT_LOG_DEBUG;
		} else {
			fprintf(stderr, "llmtrail: unknown option: %s\nTry 'llmtrail --help'.\n", a);
			return LT_EXIT_USAGE;
		}
	}
	log_set_level((log_level)verbosity);
	if (i >= argc) {
		print_help(stderr);
		return LT_EXIT_USAGE;
	}
	const command *c = cli_find(argv[i]);
	if (c == NULL) {
		fprintf(stderr, "llmtrail: unknown command: %s\nTry 'llmtrail --help'.\n", argv[i]);
		return LT_EXIT_USAGE;
	}
	return c->main(c, argc - i, argv + i);
}

/*
 * cli.c — option parsing and help text generated from the command tables
 * (see cli.h). getopt_long's tables are built from cli_option arrays, so the
 * help text and the parser can never disagree.
 */
#include "cmd/cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/exitcode.h"

#define CLI_MAX_OPTIONS 64

const cli_option cli_global_options[] = {
	{"quiet", 'q', NULL, "only errors on stderr; no progress"},
	{"verbose", 'v', NULL, "more detail on stderr (repeat for debug)"},
	{"color", 0, "WHEN", "colour on stdout/stderr: auto (a terminal, NO_COLOR unset), always or never"},
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
};

int cli_global_arg(const char *arg, const char *next, cli_globals *g)
{
	if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
		g->quiet = 1;
		return 1;
	}
	if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
		g->verbose++;
		return 1;
	}
	if (strcmp(arg, "-vv") == 0) {
		g->verbose += 2;
		return 1;
	}
	if (strncmp(arg, "--color=", 8) == 0) {
		g->color = arg + 8;
		return 1;
	}
	if (strcmp(arg, "--color") == 0) {
		if (next == NULL)
			return -1;
		g->color = next;
		return 2;
	}
	return 0;
}

/* True when arg is an option of c written so that its value is the next
 * argument ("--output DIR", "-o DIR"; not "--output=DIR" nor "-oDIR"). */
static bool takes_next(const command *c, const char *arg)
{
	for (size_t i = 0; c->options != NULL && c->options[i].name != NULL; i++) {
		const cli_option *o = &c->options[i];
		if (o->arg == NULL)
			continue;
		if (arg[0] == '-' && arg[1] == '-' && strcmp(arg + 2, o->name) == 0)
			return true;
		if (o->short_name && arg[0] == '-' && arg[1] == o->short_name && arg[2] == '\0')
			return true;
	}
	return false;
}

int cli_take_globals(const command *c, int argc, char **argv, cli_globals *g)
{
	int out = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (takes_next(c, argv[i]) && i + 1 < argc) {
			argv[out++] = argv[i++];
			argv[out++] = argv[i];
			continue;
		}
		int took = cli_global_arg(argv[i], i + 1 < argc ? argv[i + 1] : NULL, g);
		if (took < 0) {
			fprintf(stderr, "llmtrail %s: %s wants a value\n", c->name, argv[i]);
			return -1;
		}
		if (took == 0)
			argv[out++] = argv[i];
		else
			i += took - 1;
	}
	argv[out] = NULL;
	return out;
}

const command *cli_find(const char *name)
{
	for (size_t i = 0; cli_commands[i] != NULL; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

static size_t count_options(const cli_option *opts)
{
	size_t n = 0;
	while (opts != NULL && opts[n].name != NULL)
		n++;
	return n;
}

static void cli_usage(const command *c, FILE *out)
{
	fprintf(out, "usage: llmtrail %s%s%s%s\n\n%s\n", c->name, count_options(c->options) ? " [options]" : "",
	        c->args[0] ? " " : "", c->args, c->summary);
	size_t n = count_options(c->options);
	if (n > 0)
		fprintf(out, "\noptions:\n");
	for (size_t i = 0; i < n; i++) {
		const cli_option *o = &c->options[i];
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
			         o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-28s %s\n", left, o->help);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "show this help");
}

int cli_parse(const command *c, int argc, char **argv, cli_option_fn on_option, void *ctx, int *npos,
              int *code)
{
	struct option longopts[CLI_MAX_OPTIONS + 1];
	char shortopts[CLI_MAX_OPTIONS * 2 + 4];
	size_t n = count_options(c->options), k = 0;
	if (n >= CLI_MAX_OPTIONS)
		n = CLI_MAX_OPTIONS - 1;
	for (size_t i = 0; i < n; i++) {
		const cli_option *o = &c->options[i];
		longopts[i].name = o->name;
		longopts[i].has_arg = o->arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 256 + (int)i;
		if (o->short_name) {
			shortopts[k++] = o->short_name;
			if (o->arg)
				shortopts[k++] = ':';
		}
	}
	longopts[n].name = "help";
	longopts[n].has_arg = no_argument;
	longopts[n].flag = NULL;
	longopts[n].val = 'h';
	memset(&longopts[n + 1], 0, sizeof longopts[n + 1]);
	shortopts[k++] = 'h';
	shortopts[k] = '\0';

	*code = LT_EXIT_CLEAN;
	optind = 1;
	opterr = 0;
	for (;;) {
		int longindex = -1;
		int ch = getopt_long(argc, argv, shortopts, longopts, &longindex);
		if (ch == -1)
			break;
		if (ch == 'h') {
			cli_usage(c, stdout);
			return -1;
		}
		const cli_option *o = NULL;
		if (ch >= 256)
			o = &c->options[ch - 256];
		else if (ch != '?' && ch != ':')
			for (size_t i = 0; i < n; i++)
				if (c->options[i].short_name == ch)
					o = &c->options[i];
		if (o == NULL) {
			const char *bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
			if (optopt != 0 && optopt < 256)
				fprintf(stderr, "llmtrail %s: unknown option or missing argument: -%c\n", c->name, optopt);
			else
				fprintf(stderr, "llmtrail %s: unknown option or missing argument: %s\n", c->name, bad);
			fprintf(stderr, "Try 'llmtrail %s --help'.\n", c->name);
			*code = LT_EXIT_USAGE;
			return -1;
		}
		int rc = on_option ? on_option(ctx, o, optarg) : 0;
		if (rc != 0) {
			*code = rc;
			return -1;
		}
	}
	int pos = argc - optind;
	if (pos < c->min_args || (c->max_args >= 0 && pos > c->max_args)) {
		fprintf(stderr, "llmtrail %s: expected %s\n", c->name, c->args[0] ? c->args : "no arguments");
		fprintf(stderr, "Try 'llmtrail %s --help'.\n", c->name);
		*code = LT_EXIT_USAGE;
		return -1;
	}
	*npos = pos;
	return optind;
}

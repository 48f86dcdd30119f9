/*
 * cli.h — the subcommand table and option parsing shared by every command.
 *
 * Each command is declared once, as a `command` with its options in a table;
 * `--help` text, the top-level command list and the man-page consistency test
 * (tests/e2e/test_cli.sh) are all generated from these tables, so an option
 * cannot exist without being documented.
 *
 * A command's run function receives the parsed positional arguments; options
 * arrive one at a time through its on_option callback before run is called.
 * Commands return an exit code (pipeline/exitcode.h).
 */
#ifndef LLMTRAIL_CMD_CLI_H
#define LLMTRAIL_CMD_CLI_H

#include <stdio.h>

typedef struct cli_option {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 if none */
	const char *arg;  /* metavariable ("DIR"), NULL for a flag */
	const char *help;
} cli_option;

typedef struct command command;

/* Called for each option given: opt is the table entry, value its argument (NULL for flags).
 * Returns 0, or an exit code (usually LT_EXIT_USAGE, after printing why) to stop. */
typedef int (*cli_option_fn)(void *ctx, const cli_option *opt, const char *value);

struct command {
	const char *name;
	const char *args;    /* positional synopsis: "CASE EVIDENCE..." */
	const char *summary; /* one line */
	const cli_option *options; /* terminated by {NULL} */
	int min_args;        /* positional arguments required */
	int max_args;        /* -1 = unlimited */
	/* Parses options into a fresh context and runs; see cli_run. */
	int (*main)(const command *self, int argc, char **argv);
};

/* The table (cmd/commands.c), terminated by a NULL name. */
extern const command *const cli_commands[];
const command *cli_find(const char *name);

/*
 * Parses argv (argv[0] is the command name) against c->options: calls on_option
 * for each, handles --help (prints cli_usage, returns -1 with *code = 0), checks
 * the number of positionals (usage error otherwise). On success returns the
 * index of the first positional in argv (getopt permutes argv so positionals
 * come last) and sets *npos.
 */
int cli_parse(const command *c, int argc, char **argv, cli_option_fn on_option, void *ctx,
              int *npos, int *code);


/* Global options applied by main (-q, -v, --color) — shared by all commands. */
extern const cli_option cli_global_options[];

/* What the global options said, in the order given (the last wins). */
typedef struct cli_globals {
	int quiet;        /* -q seen */
	int verbose;      /* -v count (-vv is two) */
	const char *color; /* WHEN of --color, NULL if not given */
} cli_globals;

/* If argv[0] is a global option, records it in g and returns how many
 * arguments it took (1, or 2 for "--color WHEN"); 0 when it is not one;
 * -1 when it is one but its value is missing. next may be NULL. */
int cli_global_arg(const char *arg, const char *next, cli_globals *g);

/* Global options may stand anywhere among a command's arguments
 * ("analyze X -o D -q"). Removes them from argv[1..argc) (argv[0] is the
 * command name), keeping the order of the rest, and returns the new argc.
 * The value of an option of c that takes one is never taken for a global
 * ("--principal -q" filters on "-q"), and nothing after "--" is looked at.
 * Returns -1 (after printing why) for a global option without its value. */
int cli_take_globals(const command *c, int argc, char **argv, cli_globals *g);

#endif

/*
 * cmd_scan.c — `llmtrail scan CASE`: run the rule packs over a case in time
 * order and write the reports (the work is in scanrun.c, shared with analyze).
 */
#include "config.h"

#include <stdlib.h>

#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "pipeline/outpath.h"
#include "cmd/scanopt.h"

static int on_option(void *ctx, const cli_option *opt, const char *value)
{
	int rc = scan_apply_option(ctx, opt, value);
	return rc == 1 ? 0 : rc;
}

static int run(const command *self, int argc, char **argv)
{
	scan_options o;
	scan_options_init(&o);
	int npos, code;
	int first = cli_parse(self, argc, argv, on_option, &o, &npos, &code);
	if (first < 0)
		return code;
	if ((code = scan_options_check(&o)) != 0)
		return code;
	code = outpath_check_case("output folder", o.out_dir, argv[first]);
	if (code != 0)
		return code;
	char *cmdline = scan_command_line(argc, argv);
	o.command_line = cmdline;
	exit_state ex = {0};
	scan_run(argv[first], &o, &ex);
	free(cmdline);
	return exit_state_code(&ex);
}

const command cmd_scan = {
	.name = "scan",
	.args = "CASE",
	.summary = "evaluate rule packs over the case in time order and write reports",
	.options = scan_cli_options,
	.min_args = 1,
	.max_args = 1,
	.main = run,
};

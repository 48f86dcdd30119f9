/*
 * scanopt.h — the command-line side of scan_options (pipeline/scanrun.h):
 * the option rows `scan` and `analyze` share (and `index` takes its rule
 * options from), applying one option to a scan_options, and the command
 * line recorded in the reports. Kept in cmd/ so that the pipeline does not
 * know the command line's option type (issue 15: the last upward include).
 */
#ifndef LLMTRAIL_CMD_SCANOPT_H
#define LLMTRAIL_CMD_SCANOPT_H

#include "cmd/cli.h"
#include "pipeline/scanrun.h"

/* Applies one of the scan options (cmd_scan.c's table, shared by analyze).
 * Returns 0 if applied, 1 if it is not a scan option, or LT_EXIT_USAGE after
 * saying what is wrong with its value. */
int scan_apply_option(scan_options *o, const cli_option *opt, const char *value);

/* The options `scan` and `analyze` share: rows for their option tables. */
#define SCAN_CLI_OPTION_ROWS \
	{"output", 'o', "DIR", "write reports into DIR (default: ./llmtrail-report)"}, \
	{"rules", 'r', "PATH", "also load Sigma rules from PATH (file or folder; repeatable)"}, \
	{"no-default-rules", 0, NULL, "do not load the shipped rule packs"}, \
	{"since", 0, "TIME", "only events at or after TIME (ISO-8601)"}, \
	{"until", 0, "TIME", "only events before TIME (ISO-8601)"}, \
	{"min-level", 0, "LEVEL", "report findings at or above LEVEL (informational|low|medium|high|critical), built-in ones too"}, \
	FILTER_CLI_OPTION_ROWS \
	{"fail-on", 0, "LEVEL", "exit 1 when a finding is at or above LEVEL (default: high; none to disable)"}, \
	{"format", 'f', "LIST", "outputs to write: html,junit,jsonl,csv,md (default: all)"}, \
	{"no-redact", 0, NULL, "show matched secrets in full in reports"}, \
	{"full-timeline", 0, NULL, "timeline.csv: every event of the case, not only those findings reference"}, \
	{"redetect", 0, NULL, "match every record again, ignoring the detections the index stored"}, \
	{"public-keys", 0, "FILE", "CloudTrail public keys (aws cloudtrail list-public-keys output) or digest signatures (JSONL) for digest verification (repeatable)"}, \
	{"policy", 0, "FILE", "check the compliance controls of the policy FILE (YAML; docs/controls.md)"}, \
	{"baseline", 0, "CASE", "judge novelty and usual hours against an earlier, known-good CASE too (docs/incidents.md)"}, \
	{"fail-on-control", 0, NULL, "exit 1 when a compliance control fails"}, \
	{"sign", 0, "KEY", "sign the report set with the private key KEY (PEM): manifest.sha256 and manifest.sig"},

/* scan's table: SCAN_CLI_OPTION_ROWS, terminated by {NULL}. */
extern const cli_option scan_cli_options[];

/* "llmtrail scan a b c" for the run record (malloc'd; free()). */
char *scan_command_line(int argc, char **argv);

#endif

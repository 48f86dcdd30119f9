/*
 * scanopt.c — scan_options from the command line (see scanopt.h).
 */
#include "config.h"

#include "cmd/scanopt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/ltime.h"
#include "common/valmatch.h"
#include "pipeline/exitcode.h"

const cli_option scan_cli_options[] = {
	SCAN_CLI_OPTION_ROWS
	{NULL, 0, NULL, NULL},
};


static int usage_error(const char *what, const char *value)
{
	fprintf(stderr, "llmtrail: invalid %s: '%s'\n", what, value);
	return LT_EXIT_USAGE;
}

static int parse_formats(const char *list, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"html", SCAN_FMT_HTML}, {"junit", SCAN_FMT_JUNIT}, {"jsonl", SCAN_FMT_JSONL},
	             {"csv", SCAN_FMT_CSV},   {"md", SCAN_FMT_MD},       {"all", SCAN_FMT_ALL}};
	unsigned bits = 0;
	const char *p = list;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		bool found = false;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0) {
				bits |= names[i].bit;
				found = true;
			}
		if (!found)
			return usage_error("--format (html,junit,jsonl,csv,md)", list);
		p += n;
		if (*p == ',')
			p++;
	}
	if (bits == 0)
		return usage_error("--format (html,junit,jsonl,csv,md)", list);
	*out = bits;
	return 0;
}

static int parse_time(const char *what, const char *value, int64_t *out)
{
	if (ltime_parse(value, strlen(value), out) != LT_OK)
		return usage_error(what, value);
	return 0;
}

int scan_apply_option(scan_options *o, const cli_option *opt, const char *v)
{
	const char *n = opt->name;
	valmatch_field fld = valmatch_field_of(n);
	if (fld != VM_NFIELDS) {
		o->match[fld] = v;
		return 0;
	}
	if (strcmp(n, "output") == 0)
		o->out_dir = v;
	else if (strcmp(n, "rules") == 0) {
		if (o->nrule_paths == SCAN_MAX_RULE_PATHS)
			return usage_error("--rules (too many)", v);
		o->rule_paths[o->nrule_paths++] = v;
	} else if (strcmp(n, "no-default-rules") == 0)
		o->default_rules = false;
	else if (strcmp(n, "since") == 0)
		return parse_time("--since time", v, &o->since_us);
	else if (strcmp(n, "until") == 0)
		return parse_time("--until time", v, &o->until_us);
	else if (strcmp(n, "min-level") == 0) {
		if (rpt_level_parse(v, &o->min_level) != LT_OK || o->min_level == RPT_LEVEL_NONE)
			return usage_error("--min-level", v);
	} else if (strcmp(n, "fail-on") == 0) {
		if (rpt_level_parse(v, &o->fail_on) != LT_OK)
			return usage_error("--fail-on", v);
	} else if (strcmp(n, "format") == 0)
		return parse_formats(v, &o->formats);
	else if (strcmp(n, "no-redact") == 0)
		o->redact = false;
	else if (strcmp(n, "redetect") == 0)
		o->redetect = true;
	else if (strcmp(n, "full-timeline") == 0)
		o->full_timeline = true;
	else if (strcmp(n, "public-keys") == 0) {
		if (o->npublic_keys == SCAN_MAX_RULE_PATHS)
			return usage_error("--public-keys (too many)", v);
		o->public_keys[o->npublic_keys++] = v;
	} else if (strcmp(n, "policy") == 0)
		o->policy_path = v;
	else if (strcmp(n, "baseline") == 0)
		o->baseline_case = v;
	else if (strcmp(n, "fail-on-control") == 0)
		o->fail_on_control = true;
	else if (strcmp(n, "sign") == 0)
		o->sign_key = v;
	else
		return 1;
	return 0;
}

char *scan_command_line(int argc, char **argv)
{
	buf b;
	buf_init(&b, 64 * 1024);
	if (buf_puts(&b, "llmtrail") != LT_OK) {
		buf_free(&b);
		return NULL;
	}
	for (int i = 0; i < argc; i++)
		if (buf_putc(&b, ' ') != LT_OK || buf_puts(&b, argv[i]) != LT_OK)
			break;
	return buf_detach(&b, NULL);
}


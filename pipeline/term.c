/*
 * term.c — colour on a terminal (see term.h). The colours follow the
 * reports: critical and high red (critical bold), medium yellow, low cyan,
 * informational dim; verdicts green (PASS), red (FAIL), yellow (the rest).
 */
#include "pipeline/term.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static term_color_mode mode = TERM_COLOR_AUTO;

bool term_color_parse(const char *s, term_color_mode *out)
{
	static const struct {
		const char *name;
		term_color_mode m;
	} names[] = {{"auto", TERM_COLOR_AUTO},    {"always", TERM_COLOR_ALWAYS}, {"yes", TERM_COLOR_ALWAYS},
	             {"never", TERM_COLOR_NEVER},  {"no", TERM_COLOR_NEVER}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].m;
			return true;
		}
	return false;
}

void term_set_color(term_color_mode m) { mode = m; }

static bool term_color(FILE *f)
{
	if (mode == TERM_COLOR_ALWAYS)
		return true;
	if (mode == TERM_COLOR_NEVER)
		return false;
	const char *no = getenv("NO_COLOR");
	if (no != NULL && no[0] != '\0')
		return false;
	const char *t = getenv("TERM");
	if (t != NULL && strcmp(t, "dumb") == 0)
		return false;
	return f != NULL && isatty(fileno(f));
}

const char *term_level_on(FILE *f, const char *level)
{
	static const struct {
		const char *name, *sgr;
	} colors[] = {{"critical", "\033[1;31m"},  {"high", "\033[31m"},         {"medium", "\033[33m"},
	              {"low", "\033[36m"},         {"informational", "\033[2m"}, {"pass", "\033[1;32m"},
	              {"fail", "\033[1;31m"},      {"not gated", "\033[1;33m"}, {"incomplete", "\033[1;33m"},
	              {"no evidence", "\033[1;31m"}};
	if (level == NULL || !term_color(f))
		return "";
	for (size_t i = 0; i < sizeof colors / sizeof colors[0]; i++)
		if (strcasecmp(level, colors[i].name) == 0)
			return colors[i].sgr;
	return "";
}

const char *term_off(FILE *f) { return term_color(f) ? "\033[0m" : ""; }

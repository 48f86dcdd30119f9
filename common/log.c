/*
 * log.c — leveled messages on stderr (see log.h). The formatted message is
 * escaped before it reaches the terminal, so evidence text cannot inject
 * escape sequences.
 */
#include "common/log.h"

#include "common/textesc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static log_level current = LT_LOG_WARN;

void log_set_level(log_level level)
{
	current = level;
}

log_level log_get_level(void)
{
	return current;
}

static const char *level_name(log_level level)
{
	switch (level) {
	case LT_LOG_ERROR:
		return "error";
	case LT_LOG_WARN:
		return "warning";
	case LT_LOG_INFO:
		return "info";
	case LT_LOG_DEBUG:
		return "debug";
	case LT_LOG_QUIET:
		break;
	}
	return "";
}

static void put_file(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)ctx);
}

/* Evidence text in a message cannot reach the terminal raw (textesc.h). */
static void put_safe(const char *s, FILE *f)
{
	lt_escape(s, strlen(s), LT_ESC_KEEP_TAB, put_file, f);
}

void log_msg(log_level level, const char *fmt, ...)
{
	if (level > current || level == LT_LOG_QUIET)
		return;
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	fprintf(stderr, "llmtrail: %s: ", level_name(level));
	put_safe(text, stderr);
	fputc('\n', stderr);
}

void log_lt_error(const lt_error *e)
{
	char text[LT_ERROR_PATH_MAX * 2 + LT_ERROR_MSG_MAX + 64];
	lt_error_format(e, text, sizeof text);
	log_msg(e->status == LT_EITEM ? LT_LOG_WARN : LT_LOG_ERROR, "%s", text);
}

/*
 * log.h — messages to stderr, with levels.
 *
 * Only cmd/ decides the level (from -q/-v); every stage logs through here so
 * that quiet and verbose mean the same everywhere. Messages start with
 * "llmtrail: LEVEL: ". Text that comes from evidence must be passed through
 * log_errorx (which escapes control bytes) or lt_error_format, never printed raw:
 * a terminal is a sink too.
 */
#ifndef LLMTRAIL_COMMON_LOG_H
#define LLMTRAIL_COMMON_LOG_H

#include "common/error.h"

typedef enum log_level {
	LT_LOG_QUIET = 0, /* nothing but what a command prints as its result */
	LT_LOG_ERROR = 1,
	LT_LOG_WARN = 2,
	LT_LOG_INFO = 3,
	LT_LOG_DEBUG = 4
} log_level;

void log_set_level(log_level level);
log_level log_get_level(void);

void log_msg(log_level level, const char *fmt, ...) LT_PRINTF(2, 3);
/* Logs an lt_error at a level derived from its status (item: warn, else error). */
void log_lt_error(const lt_error *e);

#define log_error(...) log_msg(LT_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LT_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LT_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LT_LOG_DEBUG, __VA_ARGS__)

#endif

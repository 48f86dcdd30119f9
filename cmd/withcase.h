/*
 * withcase.h — the read-only commands' common frame: open the case index
 * named on the command line, run the command's work on it, close it.
 */
#ifndef LLMTRAIL_CMD_WITHCASE_H
#define LLMTRAIL_CMD_WITHCASE_H

#include "store/case.h"

/* Opens path read-only and returns fn(c, ctx); an index that cannot be
 * opened is reported on stderr and gives LT_EXIT_FATAL. */
int with_case(const char *path, int (*fn)(case_db *c, void *ctx), void *ctx);

#endif

/*
 * version.h — the llmtrail version and the versions of every linked library,
 * as printed by `llmtrail --version` and recorded in reports.
 */
#ifndef LLMTRAIL_CMD_VERSION_H
#define LLMTRAIL_CMD_VERSION_H

#include <stdio.h>

/* Writes "llmtrail X.Y.Z" and one "  library version" line per library. */
void version_print(FILE *out);

#endif

/*
 * filteropt.h — the field filters of the command line (--principal,
 * --access-key, --source-ip, --account, --region, --model, --action), one
 * table for every command that takes them, so each means the same
 * everywhere: `timeline` reads only the matching events from the index;
 * `scan` and `analyze` keep only the findings' events that match (every
 * finding source: rules, correlations, built-in analyzers; model/scope.h).
 * Matching is common/valmatch.h's: any case, a glob, or the name after an
 * ARN's last '/'.
 */
#ifndef LLMTRAIL_CMD_FILTEROPT_H
#define LLMTRAIL_CMD_FILTEROPT_H

#include <stdbool.h>

#include "common/valmatch.h"
#include "store/replay.h"

/* When name is one of those options: stores value in match[] and returns
 * true; else false. */
bool filteropt_take(const char *name, const char *value, const char *match[VM_NFIELDS]);

/* True when any field filter is given. */
bool filteropt_any(const char *const match[VM_NFIELDS]);

/* Copies the field filters into a replay filter (borrowed strings). */
void filteropt_to_replay(const char *const match[VM_NFIELDS], replay_filter *f);

#endif

/*
 * valmatch.h — how a filter value given on the command line finds the values
 * of one event field: without regard to case, as a glob (* ? [...]) over the
 * whole value, and, when it has no glob character, also against the part
 * after the value's last '/' ("ci-deploy" finds arn:aws:iam::1:user/ci-deploy,
 * "claude-3-haiku" an inference-profile ARN ending in it).
 *
 * One rule for every filter of every command (timeline reads the index with
 * it, scan and analyze keep findings with it), so `--principal ci-deploy`
 * means the same everywhere. Nothing is allocated; values longer than
 * VALMATCH_MAX_VALUE bytes never match.
 */
#ifndef LLMTRAIL_COMMON_VALMATCH_H
#define LLMTRAIL_COMMON_VALMATCH_H

#include <stdbool.h>
#include <stddef.h>

#define VALMATCH_MAX_VALUE 4096

/* The event fields a filter can name, in the order of the option table. */
typedef enum valmatch_field {
	VM_PRINCIPAL,
	VM_ACCESS_KEY,
	VM_SOURCE_IP,
	VM_ACCOUNT,
	VM_REGION,
	VM_MODEL,
	VM_ACTION,
	VM_NFIELDS
} valmatch_field;

/* The option name of each field: "principal", "access-key", ... */
extern const char *const valmatch_option_names[VM_NFIELDS];

/* The field an option name names, or VM_NFIELDS. */
valmatch_field valmatch_field_of(const char *option_name);

/* True when pat (NUL-terminated) finds the n bytes at s (see above). An
 * empty value never matches. */
bool valmatch_value(const char *pat, const char *s, size_t n);

#endif

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

/* The command line options of the fields: */
/* Rows for an option table, in valmatch_field order. */
#define FILTER_CLI_OPTION_ROWS \
	{"principal", 0, "ARN", "only events by this principal (any case, a glob, or the name after the ARN's last '/')"}, \
	{"access-key", 0, "ID", "only events made with this access key id (any case, a glob)"}, \
	{"source-ip", 0, "IP", "only events from this source IP (a glob: 203.0.113.*)"}, \
	{"account", 0, "ID", "only events of this AWS account id (a glob)"}, \
	{"region", 0, "REGION", "only events in this region (any case, a glob)"}, \
	{"model", 0, "ID", "only events with this model id or inference profile (any case, a glob, or the id after an ARN's last '/')"}, \
	{"action", 0, "NAME", "only events with this action (eventName or operation; any case, a glob)"},

/* The option name of each field: "principal", "access-key", ... */
extern const char *const valmatch_option_names[VM_NFIELDS];

/* The field an option name names, or VM_NFIELDS. */
valmatch_field valmatch_field_of(const char *option_name);

/* True when pat (NUL-terminated) finds the n bytes at s (see above). An
 * empty value never matches. */
bool valmatch_value(const char *pat, const char *s, size_t n);

#endif

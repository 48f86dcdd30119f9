/*
 * scope.h — what the investigator asked to see: the one filter every finding
 * source goes through (rules, correlations, the built-in analyzers, and so
 * the incidents built from their findings).
 *
 * A scope admits a hit (one event of one rule) when the rule's level is at
 * or above min_level, the event's time is in [since_us, until_us), and every
 * field filter given finds the event's value of that field (common/valmatch.h:
 * any case, a glob, or the name after an ARN's last '/'). The report model
 * asks it on every report_add_hit (report_set_scope); a hit it refuses is
 * counted, not kept, and its rule's outcome is "filtered" unless another of
 * its hits was admitted.
 *
 * Ownership: the strings are borrowed and must outlive every user of the
 * scope (they are the command line's).
 */
#ifndef LLMTRAIL_MODEL_SCOPE_H
#define LLMTRAIL_MODEL_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/valmatch.h"
#include "model/rpt.h"

typedef struct scope {
	int64_t since_us, until_us;    /* INT64_MIN / INT64_MAX: open */
	rpt_level min_level;           /* RPT_LEVEL_INFORMATIONAL: every level */
	const char *match[VM_NFIELDS]; /* NULL: any value */
} scope;

/* Everything admitted. */
void scope_init(scope *s);

/* True when some field filter is given (hits must carry their header). */
bool scope_has_fields(const scope *s);

/* True when the scope admits a hit of a rule of this level on ev. */
bool scope_admits(const scope *s, rpt_level level, const rpt_event_in *ev);

/* "--source-ip 203.0.113.* --region us-east-1" (the field filters given),
 * at most n - 1 bytes and a NUL; "" when none. Returns the length written. */
size_t scope_describe(const scope *s, char *out, size_t n);

#endif

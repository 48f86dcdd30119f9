/*
 * sigma_ext.h — llmtrail's own additions to Sigma, namespaced under a rule's
 * `llmtrail:` section (DESIGN.md §6; documented in docs/rules.md). A standard
 * Sigma rule never needs them.
 *
 *   redact: true            report hint: matched text is redacted by default
 *   validators: [...]       every `re` match of the rule must pass each one:
 *                           entropy (min bits/char, optional group), luhn,
 *                           iban_mod97, us_ssn, min_matches (min count)
 *   exclude_matches: [...]  a regex match containing any of these strings
 *                           (case-insensitive) does not count
 *   require_overlap: {field, with, min_chars}
 *                           the two fields share a run of min_chars bytes
 *   first_seen: {group-by: [...], fields: [...], baseline: 1d,
 *                baseline_from: group|rule}
 *                           stateful over the replay: the rule fires only for
 *                           a combination of `fields` values new for its group,
 *                           once `baseline` has passed since the group's first
 *                           matching event (or, baseline_from: rule, the
 *                           rule's first; values seen before are learned)
 *
 * Ownership: parsed structures live in the arena given to sigma_ext_parse.
 * Failure returns: LT_EITEM with a message (*unsupported set for known but
 * unimplemented extensions); LT_EFATAL out of memory.
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_EXT_H
#define LLMTRAIL_ANALYZERS_SIGMA_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/sigma/sigma_yaml.h"
#include "common/arena.h"
#include "common/error.h"

#define SIGMA_EXT_MAX_MATCHES 100000u /* regex matches examined per value */
#define SIGMA_EXT_OVERLAP_MAX ((size_t)4 << 20) /* bytes compared by require_overlap */

enum sigma_vtype { SIGMA_VAL_ENTROPY = 0, SIGMA_VAL_LUHN, SIGMA_VAL_IBAN, SIGMA_VAL_SSN };

typedef struct sigma_validator {
	int type; /* enum sigma_vtype */
	unsigned group; /* capture group checked (0 = whole match) */
	double min;
} sigma_validator;

/* What a regex match must satisfy (attached to every `re` matcher of the rule). */
typedef struct sigma_revalid {
	sigma_validator *v;
	size_t nv;
	const char **excl; /* lowercased */
	size_t nexcl;
	unsigned min_matches; /* 0 or 1: one passing match suffices */
} sigma_revalid;

typedef struct sigma_ext {
	bool redact;
	sigma_revalid *valid; /* NULL when no validators and no exclusions */
	const char *overlap_field, *overlap_with;
	size_t overlap_min;
	bool first_seen;
	const char **fs_group, **fs_fields;
	size_t fs_ngroup, fs_nfields;
	int64_t fs_baseline_us;
	bool fs_from_rule; /* baseline_from: rule */
} sigma_ext;

#define SIGMA_FS_MAX_KEYS 2000000u /* groups + distinct values remembered per rule (32 bytes each, 128-bit hashes) */

/* first_seen state of one rule. */
typedef struct sigma_firstseen sigma_firstseen;
sigma_firstseen *sigma_fs_new(void) LT_WUR;
void sigma_fs_free(sigma_firstseen *fs);
void sigma_fs_reset(sigma_firstseen *fs);
/* A matching event of group `group` with value tuple `value` at time t:
 * true when the value is new for the group and the baseline is over: since
 * the group's first matching event, or (from_rule) since the rule's first
 * matching event of the replay, so a group that first appears after the
 * rule's warm-up is new in all it does. */
bool sigma_fs_feed(sigma_firstseen *fs, const char *group, const char *value, int64_t t,
                   int64_t baseline_us, bool from_rule);

/* Parses a rule's `llmtrail:` node (may be NULL: *out is all empty). */
lt_status sigma_ext_parse(arena *a, const sigma_ynode *node, sigma_ext *out, bool *unsupported,
                          lt_error *err) LT_WUR;

/* True if the match text s[0..n) (whole match) with capture groups ov
 * (pcre2 ovector pairs relative to subject) passes exclusions and validators. */
bool sigma_ext_accept(const sigma_revalid *rv, const char *subject, const size_t *ov, size_t npairs);

/* Luhn, IBAN mod-97, US SSN and Shannon entropy (bits per byte), for tests. */
bool sigma_ext_luhn(const char *s, size_t n);
bool sigma_ext_iban(const char *s, size_t n);
bool sigma_ext_ssn(const char *s, size_t n);
double sigma_ext_entropy(const char *s, size_t n);

/* True if a and b share a run of at least min bytes (each capped at SIGMA_EXT_OVERLAP_MAX). */
bool sigma_ext_overlap(const char *a, size_t an, const char *b, size_t bn, size_t min);

#endif

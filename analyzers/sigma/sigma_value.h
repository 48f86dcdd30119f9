/*
 * sigma_value.h — one Sigma detection item's values and modifiers, compiled
 * to matchers (internal to the Sigma engine: sigma.c is the only user).
 *
 * `Field|mod1|mod2: value-or-list` becomes a sigma_vitem: groups of
 * matchers (one group per value written in the rule; a group holds the
 * variants that transformations such as windash or base64offset produce,
 * OR-ed), linked by OR, or by AND with |all. Modifiers are looked up in a
 * registration table {name, phase, compile, match} (STYLE.md habit 7); the
 * spec is sigma-appendix-modifiers.md of SigmaHQ/sigma-specification 2.x.
 *
 * Plain values match case-insensitively (ASCII folding), `*` and `?` are
 * wildcards (`?` is one UTF-8 character) escaped by `\*`, `\?`, `\\`; numbers
 * and booleans compare by their text; `null` matches an absent or null field.
 *
 * Ownership: everything lives in the arena given to sigma_vitem_compile,
 * except compiled regexes, which are handed to `keep` (the ruleset frees them).
 * Failure returns: LT_EITEM with a message; *unsupported set when the rule is
 * valid Sigma that we cannot run (unknown modifier, missing placeholder...).
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_VALUE_H
#define LLMTRAIL_ANALYZERS_SIGMA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/sigma/sigma_ext.h"
#include "analyzers/sigma/sigma_yaml.h"
#include "common/arena.h"
#include "common/error.h"
#include "ingest/json.h"

/* PCRE2 limits applied to every match. */
#define SIGMA_RE_MATCH_LIMIT 1000000u
#define SIGMA_RE_DEPTH_LIMIT 10000u

/* One value of a field as matchers see it. */
typedef struct sigma_fval {
	const char *s; /* text to compare (string, number text, "true"/"false"); NULL for null/object/array */
	size_t n;
	json_type type; /* JSON_STRING for derived text fields */
} sigma_fval;

typedef struct sigma_matcher sigma_matcher;

/* What a match needs besides the values: regex scratch, and for fieldref the
 * values of another field. */
typedef struct sigma_mctx {
	void *match_data;  /* pcre2_match_data * */
	void *match_ctx;   /* pcre2_match_context * (limits, JIT stack) */
	/* values of field `field_id` (fieldref); returns the count, *out borrowed */
	size_t (*field_values)(void *ctx, uint32_t field_id, const sigma_fval **out);
	void *ctx;
	const char *error; /* set when a regex hit its limits; the match counts as false */
} sigma_mctx;

typedef bool (*sigma_match_fn)(const sigma_matcher *m, const sigma_fval *v, sigma_mctx *mc,
                               size_t *so, size_t *eo);

enum sigma_smode { SIGMA_S_EXACT = 0, SIGMA_S_CONTAINS, SIGMA_S_STARTS, SIGMA_S_ENDS, SIGMA_S_GLOB };

struct sigma_matcher {
	sigma_match_fn match;
	int mode;    /* enum sigma_smode, for string matchers and fieldref */
	bool cased;
	const char *lit; /* string: literal (lowercased unless cased) or glob bytes */
	const uint8_t *wild; /* GLOB: per byte 0 literal, '*' or '?' */
	size_t n;
	const char *prefilter; /* a literal every match contains, or NULL */
	size_t prefilter_n;
	void *re; /* pcre2_code * */
	const sigma_revalid *valid; /* llmtrail validators/exclusions for re, or NULL */
	uint8_t addr[16];
	int family; /* 4 or 6 */
	unsigned bits;
	double num;
	int cmp; /* -2 lt, -1 lte, 1 gte, 2 gt */
	uint32_t ref_field;
};

typedef struct sigma_vgroup {
	sigma_matcher *m; /* variants, OR-ed */
	size_t n;
} sigma_vgroup;

enum sigma_vkind {
	SIGMA_V_MATCH = 0, /* groups of matchers */
	SIGMA_V_EXISTS,    /* want_exists */
	SIGMA_V_NULL       /* absent or null */
};

typedef struct sigma_vitem {
	int kind; /* enum sigma_vkind */
	bool all; /* AND over groups */
	bool neq; /* true when no value matches any group (field present) */
	bool want_exists;
	bool has_null; /* a null value among the list (OR-ed with the groups) */
	sigma_vgroup *g;
	size_t ng;
} sigma_vitem;

/* Looks up placeholder name (without %); returns its values or NULL. */
typedef const char *const *(*sigma_placeholder_fn)(void *ctx, const char *name, size_t *n);
/* Resolves a field name used by fieldref to a field id. */
typedef lt_status (*sigma_field_fn)(void *ctx, const char *name, uint32_t *id);
/* Takes ownership of a compiled regex. */
typedef lt_status (*sigma_keep_fn)(void *ctx, void *re);

typedef struct sigma_vcompile_env {
	arena *a;
	sigma_placeholder_fn placeholder;
	sigma_field_fn field;
	sigma_keep_fn keep;
	void *ctx;
} sigma_vcompile_env;

/* Compiles modifiers mods[0..nmods) applied to the YAML value node. */
lt_status sigma_vitem_compile(const sigma_vcompile_env *env, const char *const *mods, size_t nmods,
                              const sigma_ynode *value, bool keyword, sigma_vitem *out,
                              bool *unsupported, lt_error *err) LT_WUR;

/* Evaluates the item on the values of its field. On a match, *leaf and
 * [*so, *eo) say which value and where (whole value for non-text matches). */
bool sigma_vitem_match(const sigma_vitem *it, const sigma_fval *v, size_t n, sigma_mctx *mc,
                       size_t *leaf, size_t *so, size_t *eo);

/* The longest literal a regex match must contain (ASCII only when caseless), or 0. */
size_t sigma_re_literal(const char *re, bool caseless, char *out, size_t cap);

/* Names in the registration table, NULL-terminated (for docs and tests). */
const char *sigma_modifier_name(size_t i);

#endif

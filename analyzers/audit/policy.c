/*
 * policy.c — the policy file (see policy.h): YAML through the Sigma loader's
 * reader (sigma_yaml.h, which keeps every node's line), then a strict walk.
 *
 * Each control type lists the keys it takes in a table (kinds[]); a key that
 * is neither common (id, title, type, rationale, mappings) nor the type's
 * own is an error, so a misspelt parameter cannot silently weaken a control.
 * Every check fails with the line of the node at fault. Strings are copied
 * into the policy's arena (the YAML tree lives in a second arena that is
 * freed once the policy is built). Model ids are normalised once here with
 * bedrock_model_key, the same key the decoders give events.
 */
#include "config.h"

#include "analyzers/audit/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/sigma/sigma_yaml.h"
#include "common/arena.h"
#include "ingest/bedrock.h"

struct policy {
	arena *a;
	const char *name;
	policy_control *controls;
	size_t n;
};

#define K_MODELS 0x01u
#define K_REGIONS 0x02u
#define K_PRINCIPALS 0x04u
#define K_GUARDRAIL 0x08u
#define K_BUDGET 0x10u
#define K_LEVEL 0x20u
#define K_TAG 0x40u

static const struct {
	const char *name;
	unsigned keys;     /* parameters it takes */
	unsigned required; /* ... of which these must be present */
} kinds[POLICY_NKINDS] = {
	[POLICY_APPROVED_MODELS] = {"approved-models", K_MODELS, K_MODELS},
	[POLICY_APPROVED_REGIONS] = {"approved-regions", K_REGIONS, K_REGIONS},
	[POLICY_ALLOWED_PRINCIPALS] = {"allowed-principals", K_PRINCIPALS, K_PRINCIPALS},
	[POLICY_GUARDRAIL_REQUIRED] = {"guardrail-required", K_PRINCIPALS | K_GUARDRAIL, K_PRINCIPALS},
	[POLICY_NO_ROOT_OR_ACCESS_KEYS] = {"no-root-or-access-keys", 0, 0},
	[POLICY_BUDGET] = {"budget", K_BUDGET | K_TAG, K_BUDGET},
	[POLICY_LOGGING_COVERAGE] = {"logging-coverage", 0, 0},
	[POLICY_DIGEST_CHAIN] = {"digest-chain", 0, 0},
	[POLICY_MAX_DISCLOSURE] = {"max-disclosure-level", K_LEVEL, K_LEVEL},
	[POLICY_MAX_INCIDENT] = {"max-incident-level", K_LEVEL, K_LEVEL},
	[POLICY_TEXT_DELIVERY] = {"text-delivery", 0, 0},
};

static const struct {
	const char *key;
	unsigned bit;
} param_keys[] = {
	{"models", K_MODELS},
	{"regions", K_REGIONS},
	{"principals", K_PRINCIPALS},
	{"guardrail", K_GUARDRAIL},
	{"max_tokens_per_day", K_BUDGET},
	{"max_invocations_per_day", K_BUDGET},
	{"level", K_LEVEL},
	{"tag", K_TAG},
};

/* Display names of the usual frameworks; any other key is shown as written. */
static const struct {
	const char *key, *display;
} frameworks[] = {
	{"iso42001", "ISO/IEC 42001"},
	{"nist-ai-rmf", "NIST AI RMF"},
	{"soc2", "SOC 2"},
};

const char *policy_kind_name(policy_kind k)
{
	return (unsigned)k < POLICY_NKINDS ? kinds[k].name : "unknown";
}

/* ---- errors -------------------------------------------------------------- */

typedef struct loader {
	policy *p;
	const char *name;
	lt_error *err;
} loader;

static lt_status fail_at(loader *l, const sigma_ynode *n, const char *fmt, ...) LT_PRINTF(3, 4);

static lt_status fail_at(loader *l, const sigma_ynode *n, const char *fmt, ...)
{
	char msg[LT_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	lt_error_clear(l->err);
	lt_error_where(l->err, l->name, NULL, n != NULL ? n->line : 1);
	return lt_error_set(l->err, LT_EFILE, "%s", msg);
}

static lt_status oom(loader *l)
{
	return lt_error_set(l->err, LT_EFATAL, "policy: out of memory");
}

/* ---- scalars and lists ---------------------------------------------------- */

static lt_status want_str(loader *l, const sigma_ynode *n, const char *key, const char **out)
{
	const char *s = sigma_yaml_str(n);
	if (s == NULL || sigma_yaml_is_null(n) || s[0] == '\0' || strlen(s) != n->n)
		return fail_at(l, n, "'%s' must be a non-empty text", key);
	if ((*out = arena_strndup(l->p->a, s, n->n)) == NULL)
		return oom(l);
	return LT_OK;
}

static lt_status want_count(loader *l, const sigma_ynode *n, const char *key, int64_t *out)
{
	const char *s = sigma_yaml_str(n);
	char *end = NULL;
	errno = 0;
	long long v = s != NULL && !n->quoted ? strtoll(s, &end, 10) : -1;
	if (s == NULL || end == s || *end != '\0' || errno != 0 || v < 0)
		return fail_at(l, n, "'%s' must be a whole number, 0 or more", key);
	*out = (int64_t)v;
	return LT_OK;
}

/* A sequence of non-empty texts (or one text). Models are normalised. */
static lt_status want_list(loader *l, const sigma_ynode *n, const char *key, bool model,
                           const char *const **out, size_t *nout)
{
	const sigma_ynode *one[1] = {n};
	const sigma_ynode *const *items = n->type == SIGMA_Y_SEQ ? (const sigma_ynode *const *)n->items : one;
	size_t len = n->type == SIGMA_Y_SEQ ? n->len : 1;
	if (n->type == SIGMA_Y_MAP || len == 0 || len > POLICY_MAX_VALUES)
		return fail_at(l, n, "'%s' must be a list of 1 to 10000 texts", key);
	const char **v = arena_alloc(l->p->a, len * sizeof *v);
	if (v == NULL)
		return oom(l);
	for (size_t i = 0; i < len; i++) {
		if (items[i]->type != SIGMA_Y_SCALAR)
			return fail_at(l, items[i], "each item of '%s' must be a text", key);
		lt_status st = want_str(l, items[i], key, &v[i]);
		if (st != LT_OK)
			return st;
		if (model) {
			ev_str k = bedrock_model_key(ev_str_from(v[i], strlen(v[i])));
			if ((v[i] = arena_strndup(l->p->a, k.p, k.n)) == NULL)
				return oom(l);
		}
	}
	*out = v;
	*nout = len;
	return LT_OK;
}

static lt_status want_level(loader *l, const sigma_ynode *n, rpt_level *out)
{
	const char *s = sigma_yaml_str(n);
	if (s == NULL || rpt_level_parse(s, out) != LT_OK || *out == RPT_LEVEL_NONE)
		return fail_at(l, n, "'%s' must be one of informational, low, medium, high, critical", "level");
	return LT_OK;
}

/* guardrail: any | {id: X, version: V} */
static lt_status want_guardrail(loader *l, const sigma_ynode *n, policy_control *c)
{
	const char *s = sigma_yaml_str(n);
	if (s != NULL && strcmp(s, "any") == 0)
		return LT_OK;
	if (n->type != SIGMA_Y_MAP)
		return fail_at(l, n, "'%s' must be 'any' or a mapping with id (and optionally version)",
		               "guardrail");
	for (size_t i = 0; i < n->len; i++) {
		const char *k = sigma_yaml_str(n->pairs[i].key);
		if (strcmp(k, "id") != 0 && strcmp(k, "version") != 0)
			return fail_at(l, n->pairs[i].key, "unknown key '%s' in guardrail (id, version)", k);
	}
	const sigma_ynode *id = sigma_yaml_get(n, "id"), *ver = sigma_yaml_get(n, "version");
	if (id == NULL)
		return fail_at(l, n, "'%s' needs an id (or write: guardrail: any)", "guardrail");
	lt_status st = want_str(l, id, "id", &c->guardrail_id);
	if (st == LT_OK && ver != NULL)
		st = want_str(l, ver, "version", &c->guardrail_version);
	return st;
}

/* mappings: {framework: clause | [clauses]} */
static lt_status want_mappings(loader *l, const sigma_ynode *n, policy_control *c)
{
	if (n->type != SIGMA_Y_MAP)
		return fail_at(l, n, "'%s' must be a mapping of framework to clauses", "mappings");
	size_t total = 0;
	for (size_t i = 0; i < n->len; i++)
		total += n->pairs[i].value->type == SIGMA_Y_SEQ ? n->pairs[i].value->len : 1;
	if (total > POLICY_MAX_VALUES)
		return fail_at(l, n, "'%s' holds too many clauses", "mappings");
	rpt_pair *v = arena_calloc(l->p->a, (total ? total : 1) * sizeof *v);
	if (v == NULL)
		return oom(l);
	size_t k = 0;
	for (size_t i = 0; i < n->len; i++) {
		const char *fw = sigma_yaml_str(n->pairs[i].key);
		for (size_t f = 0; f < sizeof frameworks / sizeof frameworks[0]; f++)
			if (strcmp(fw, frameworks[f].key) == 0)
				fw = frameworks[f].display;
		const char *const *clauses;
		size_t nc;
		lt_status st = want_list(l, n->pairs[i].value, "mappings", false, &clauses, &nc);
		if (st != LT_OK)
			return st;
		const char *fwc = arena_strndup(l->p->a, fw, strlen(fw));
		if (fwc == NULL)
			return oom(l);
		for (size_t j = 0; j < nc; j++, k++) {
			v[k].name = rpt_s(fwc);
			v[k].value = rpt_s(clauses[j]);
		}
	}
	c->mappings = v;
	c->nmappings = k;
	return LT_OK;
}

/* ---- one control ------------------------------------------------------------ */

static unsigned param_bit(const char *key)
{
	for (size_t i = 0; i < sizeof param_keys / sizeof param_keys[0]; i++)
		if (strcmp(key, param_keys[i].key) == 0)
			return param_keys[i].bit;
	return 0;
}

static bool common_key(const char *key)
{
	static const char *const keys[] = {"id", "title", "type", "rationale", "mappings"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static lt_status control_kind(loader *l, const sigma_ynode *n, policy_kind *out)
{
	const char *s = sigma_yaml_str(n);
	for (unsigned k = 0; s != NULL && k < POLICY_NKINDS; k++)
		if (strcmp(s, kinds[k].name) == 0) {
			*out = (policy_kind)k;
			return LT_OK;
		}
	return fail_at(l, n, "unknown control type '%s' (see docs/controls.md)", s != NULL ? s : "");
}

static lt_status control_param(loader *l, const sigma_ynode *key, const sigma_ynode *v, policy_control *c)
{
	const char *k = sigma_yaml_str(key);
	switch (param_bit(k)) {
	case K_MODELS:
		return want_list(l, v, k, true, &c->values, &c->nvalues);
	case K_REGIONS:
	case K_PRINCIPALS:
		return want_list(l, v, k, false, &c->values, &c->nvalues);
	case K_GUARDRAIL:
		return want_guardrail(l, v, c);
	case K_BUDGET:
		return want_count(l, v, k, strcmp(k, "max_tokens_per_day") == 0 ? &c->max_tokens : &c->max_invocations);
	case K_LEVEL:
		return want_level(l, v, &c->level);
	case K_TAG:
		return want_str(l, v, k, &c->tag);
	default:
		return fail_at(l, key, "unknown key '%s'", k);
	}
}

static lt_status control_required(loader *l, const sigma_ynode *n, policy_control *c)
{
	static const char *const keys[] = {"id", "title", "rationale"};
	const char **dst[] = {&c->id, &c->title, &c->rationale};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const sigma_ynode *v = sigma_yaml_get(n, keys[i]);
		if (v == NULL)
			return fail_at(l, n, "a control needs '%s'", keys[i]);
		lt_status st = want_str(l, v, keys[i], dst[i]);
		if (st != LT_OK)
			return st;
	}
	const sigma_ynode *t = sigma_yaml_get(n, "type");
	if (t == NULL)
		return fail_at(l, n, "a control needs '%s'", "type");
	return control_kind(l, t, &c->kind);
}

static lt_status load_control(loader *l, const sigma_ynode *n, policy_control *c)
{
	memset(c, 0, sizeof *c);
	c->line = n->line;
	c->max_tokens = c->max_invocations = -1;
	if (n->type != SIGMA_Y_MAP)
		return fail_at(l, n, "%s", "each control must be a mapping");
	lt_status st = control_required(l, n, c);
	unsigned seen = 0;
	for (size_t i = 0; st == LT_OK && i < n->len; i++) {
		const sigma_ynode *key = n->pairs[i].key, *v = n->pairs[i].value;
		const char *k = sigma_yaml_str(key);
		if (strcmp(k, "mappings") == 0)
			st = want_mappings(l, v, c);
		else if (common_key(k))
			continue;
		else if ((param_bit(k) & kinds[c->kind].keys) == 0)
			st = param_bit(k) ? fail_at(l, key, "'%s' does not apply to a control of type '%s'", k,
			                            kinds[c->kind].name)
			                  : fail_at(l, key, "unknown key '%s'", k);
		else {
			seen |= param_bit(k);
			st = control_param(l, key, v, c);
		}
	}
	if (st == LT_OK && (seen & kinds[c->kind].required) != kinds[c->kind].required)
		st = fail_at(l, n, "control type '%s' is missing its parameters (see docs/controls.md)",
		             kinds[c->kind].name);
	return st;
}

/* ---- the file ----------------------------------------------------------------- */

static lt_status load_root(loader *l, const sigma_ynode *root)
{
	if (root->type != SIGMA_Y_MAP)
		return fail_at(l, root, "%s", "the policy must be a mapping with 'controls:'");
	for (size_t i = 0; i < root->len; i++) {
		const char *k = sigma_yaml_str(root->pairs[i].key);
		if (strcmp(k, "name") != 0 && strcmp(k, "description") != 0 && strcmp(k, "version") != 0 &&
		    strcmp(k, "controls") != 0)
			return fail_at(l, root->pairs[i].key, "unknown key '%s' (name, description, version, controls)", k);
	}
	const sigma_ynode *name = sigma_yaml_get(root, "name");
	if (name != NULL) {
		lt_status st = want_str(l, name, "name", &l->p->name);
		if (st != LT_OK)
			return st;
	}
	const sigma_ynode *cs = sigma_yaml_get(root, "controls");
	if (cs == NULL || cs->type != SIGMA_Y_SEQ || cs->len == 0 || cs->len > POLICY_MAX_CONTROLS)
		return fail_at(l, cs != NULL ? cs : root, "%s", "'controls' must be a list of 1 to 1000 controls");
	if ((l->p->controls = arena_calloc(l->p->a, cs->len * sizeof *l->p->controls)) == NULL)
		return oom(l);
	for (size_t i = 0; i < cs->len; i++) {
		lt_status st = load_control(l, cs->items[i], &l->p->controls[i]);
		if (st != LT_OK)
			return st;
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->p->controls[j].id, l->p->controls[i].id) == 0)
				return fail_at(l, cs->items[i], "duplicate control id '%s'", l->p->controls[i].id);
		l->p->n = i + 1;
	}
	return LT_OK;
}

lt_status policy_parse(const char *text, size_t len, const char *name, policy **out, lt_error *err)
{
	*out = NULL;
	policy *p = calloc(1, sizeof *p);
	arena *ya = arena_new(0, 0);
	if (p == NULL || ya == NULL || (p->a = arena_new(0, 0)) == NULL) {
		free(p);
		arena_free(ya);
		return lt_error_set(err, LT_EFATAL, "policy: out of memory");
	}
	p->name = "";
	loader l = {p, name, err};
	sigma_ynode **docs = NULL;
	size_t nd = 0;
	lt_status st = sigma_yaml_load(ya, text, len, &docs, &nd, err);
	if (st != LT_OK)
		lt_error_where(err, name, NULL, err->line);
	else if (nd != 1)
		st = fail_at(&l, nd ? docs[1] : NULL, "%s", "expected one YAML document");
	else
		st = load_root(&l, docs[0]);
	arena_free(ya);
	if (st != LT_OK) {
		policy_free(p);
		return st;
	}
	*out = p;
	return LT_OK;
}

lt_status policy_load(const char *path, policy **out, lt_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "cannot open: %s", strerror(errno));
	}
	size_t cap = SIGMA_YAML_MAX_BYTES + 1, n = 0;
	char *text = malloc(cap);
	if (text == NULL) {
		fclose(f);
		return lt_error_set(err, LT_EFATAL, "policy: out of memory");
	}
	n = fread(text, 1, cap, f);
	bool bad = ferror(f) != 0;
	fclose(f);
	lt_status st;
	if (bad || n == cap) {
		lt_error_where(err, path, NULL, 0);
		st = lt_error_set(err, LT_EFILE, bad ? "cannot read: %s" : "larger than %s", bad ? strerror(EIO) : "4 MiB");
	} else
		st = policy_parse(text, n, path, out, err);
	free(text);
	return st;
}

void policy_free(policy *p)
{
	if (p == NULL)
		return;
	arena_free(p->a);
	free(p);
}

const char *policy_name(const policy *p) { return p->name; }
size_t policy_ncontrols(const policy *p) { return p->n; }

const policy_control *policy_control_at(const policy *p, size_t i)
{
	return i < p->n ? &p->controls[i] : NULL;
}

/* ---- principals -------------------------------------------------------------- */

static bool glob_match(const char *g, const char *s, size_t n)
{
	const char *star = NULL, *resume = NULL, *end = s + n;
	while (s < end) {
		if (*g == '*') {
			star = ++g;
			resume = s;
		} else if (*g != '\0' && *g == *s) {
			g++;
			s++;
		} else if (star != NULL) {
			g = star;
			s = ++resume;
		} else
			return false;
	}
	while (*g == '*')
		g++;
	return *g == '\0';
}

/* The last '/'-separated name of an ARN's resource ("role/x" -> "x"), or of
 * an assumed role its role name (the part before the session). */
static void role_parts(const char *p, size_t n, char *role_arn, size_t cap, const char **name, size_t *nn)
{
	role_arn[0] = '\0';
	*name = NULL;
	*nn = 0;
	const char *ar = memmem(p, n, ":assumed-role/", 14);
	const char *colon = memmem(p, n, ":sts::", 6);
	if (ar != NULL && colon != NULL && colon < ar && strncmp(p, "arn:", 4) == 0) {
		const char *role = ar + 14, *slash = memchr(role, '/', (size_t)(p + n - role));
		size_t rl = slash ? (size_t)(slash - role) : (size_t)(p + n - role);
		snprintf(role_arn, cap, "%.*s:iam::%.*s:role/%.*s", (int)(colon - p), p, (int)(ar - colon - 6),
		         colon + 6, (int)rl, role);
		*name = role;
		*nn = rl;
		return;
	}
	const char *slash = memrchr(p, '/', n);
	if (slash != NULL && strncmp(p, "arn:", 4) == 0) {
		*name = slash + 1;
		*nn = (size_t)(p + n - slash - 1);
	}
}

bool policy_principal_match(const char *glob, const char *principal, size_t n)
{
	if (principal == NULL || n == 0)
		return false;
	if (glob_match(glob, principal, n))
		return true;
	char role_arn[1024];
	const char *name;
	size_t nn;
	role_parts(principal, n, role_arn, sizeof role_arn, &name, &nn);
	if (role_arn[0] != '\0' && glob_match(glob, role_arn, strlen(role_arn)))
		return true;
	return name != NULL && nn > 0 && strchr(glob, ':') == NULL && glob_match(glob, name, nn);
}

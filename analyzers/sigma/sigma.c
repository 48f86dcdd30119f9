/*
 * sigma.c — the Sigma ruleset: loading, compilation, prefilter, matching
 * (see sigma.h; DESIGN.md §6).
 *
 * Loading parses YAML into trees kept in the ruleset arena (rule collections
 * with action: global/reset/repeat are merged here) and records each
 * document's metadata and kind. Compilation turns each detection into
 * selections -> alternatives (OR) -> items (AND) -> sigma_vitem (sigma_value.c)
 * and parses the condition (sigma_cond.c). Field names are interned once into
 * field ids, each with its candidate JSON paths (after the field map).
 *
 * Cost per event must not grow with the rule count, so every rule gets a
 * "need set": literals such that the rule cannot match unless one of them
 * occurs in its field (AND picks its best child, OR unions, NOT gives none).
 * The literals go into one Aho-Corasick automaton per field; per event each
 * such field's values are scanned once and only the rules hit are evaluated,
 * plus the few rules that have no need set ("always" rules: only negations,
 * regexes without a literal, numeric comparisons...). Field values are
 * resolved lazily and cached per event in a scratch arena reset per event.
 * Regex matches run under PCRE2 match/depth limits and a bounded JIT stack: a
 * runaway regex becomes hit->error for that rule and event, nothing more.
 *
 * Matching is two stages so that the costly part can run on other threads,
 * ahead of the replay. Detection (sigma_detect) depends on the event alone:
 * all its per-event state (field cache, candidates, selection cache, member
 * index, PCRE2 match data and JIT stack, spans) lives in a sigma_detector, and
 * the compiled ruleset is only read. Its result is a list of records, one per
 * rule that matched or failed, with what the ordered stage will need from the
 * event: spans, errors, first_seen and correlation keys. first_seen depends on
 * earlier events, so for its rules the filters are evaluated in any case and
 * both possible errors kept. The ordered stage (ruleset_match_detected) closes
 * "fewer than" windows, feeds first_seen and correlations, counts, and reports
 * in rule order; ruleset_match is the one after the other.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#include "common/hash.h"
#include "common/sort.h"
#endif
#include "analyzers/sigma/sigma.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "analyzers/sigma/sigma_ac.h"
#include "analyzers/sigma/sigma_cond.h"
#include "analyzers/sigma/sigma_corr.h"
#include "analyzers/sigma/sigma_ext.h"
#include "analyzers/sigma/sigma_prompt.h"
#include "analyzers/sigma/sigma_value.h"
#include "analyzers/sigma/sigma_yaml.h"
#include "common/arena.h"
#include "common/varint.h"
#include "ingest/sha256.h"

#define MAX_LEAVES 4096u        /* values of one field in one event */
#define MAX_FILES 100000u
#define SCRATCH_CAP ((size_t)256 << 20)
#define REASON_MAX 300

enum { DER_NONE = 0, DER_PROMPT, DER_SYSTEM, DER_RESPONSE, DER_TOOLS, DER_CREDENTIAL };

typedef struct field_def {
	char *name;
	char **paths;
	size_t npaths;
	int derived;
	int prompt_kind; /* sigma_prompt.h: a prompt classifier field, 0 = not */
	bool keyword;  /* every text leaf of the event */
	bool anywhere; /* flatten: true — a member of that name at any depth */
	sigma_ac *ac[EV_SRC_COUNT]; /* prefilter per event source (generic mode: [0] only) */
} field_def;

typedef struct item {
	uint32_t field;
	sigma_vitem v;
} item;

typedef struct alt {
	item *items;
	size_t n;
} alt;

typedef struct sel {
	alt *alts;
	size_t n;
} sel;

typedef struct strlist {
	const char **v;
	size_t n;
} strlist;

struct sigma_rule {
	const char *file;
	unsigned line;
	const char *id, *name, *title, *status, *level, *description, *author;
	const char *ls_product, *ls_service, *ls_category, *ls_text;
	strlist tags, refs, fps;
	sigma_kind kind;
	sigma_state state;
	char reason[REASON_MAX];
	unsigned err_line;
	ev_source source;
	const sigma_ynode *doc;
	/* compiled */
	const char **sel_names;
	sel *sels;
	size_t nsels;
	sigma_cond *cond;
	const sigma_rule **filters;
	size_t nfilters, cfilters;
	uint32_t index;
	bool always;
	bool inert; /* log source with no events (not in the prefilter) */
	sigma_ext ext;
	uint32_t overlap_a, overlap_b; /* field ids for ext.overlap_* */
	/* correlation rules */
	sigma_corr *corr;
	uint32_t **group_fields; /* [ref][group-by] field ids */
	uint32_t *value_field;   /* [ref] field id (value_* types) */
	/* detection rules referenced by correlations */
	struct corr_ref *feeds;
	size_t nfeeds, cfeeds;
	bool hidden; /* reports only through a correlation */
	sigma_firstseen *fs;     /* llmtrail first_seen state */
	uint32_t *fs_group_ids, *fs_field_ids;
};

typedef struct corr_ref {
	sigma_rule *corr;
	size_t ref;
} corr_ref;

typedef struct named_list {
	const char *name;
	const char **v;
	size_t n;
} named_list;

struct sigma_ruleset {
	arena *a;
	sigma_rule **rules;
	size_t n, cap;
	field_def *fields;
	size_t nfields, cfields;
	named_list *map;
	size_t nmap;
	const char **flatten;
	size_t nflatten;
	bool flatten_any;
	bool strip_spaces; /* field map option: ignore spaces in JSON keys */
	named_list *ph;
	size_t nph;
	bool generic, compiled;
	pmodel *pm;      /* the prompt classifier, loaded when a rule needs it */
	char *pm_dir;    /* the first rules directory loaded: where the model is */
	bool pm_loaded;
	void **regexes;
	size_t nre, cre;
	uint32_t *always;
	size_t nalways;
	uint32_t *closing; /* loaded correlations evaluated when a window closes */
	size_t nclosing;
	size_t npatterns;
	size_t max_sels; /* selections of the largest rule (detector scratch) */
	/* written only by the ordered stage (ruleset_match_detected) */
	sigma_detector *own; /* ruleset_match's detector, made on first use */
	uint64_t events_matched, rules_evaluated;
	size_t corr_used, corr_max; /* events kept by all correlation windows, and the most */
	/* what detection depends on: every rule and config text loaded, the
	 * options, the prompt model (ruleset_digest) */
	sha256_ctx *dig;
	char digest[SHA256_HEX_LEN + 1];
	size_t state_used, state_max; /* cells and values of their aggregates, and the most */
};

typedef struct key_slot {
	const char *key;
	size_t key_len;
	const json_value **vals;
	size_t n, cap;
} key_slot;

/* ---- detection: per-thread scratch and the result it hands to the ordered stage */

typedef struct fcache { /* one field's values in the current event */
	uint32_t epoch;
	sigma_fval *vals;
	const char **vpaths; /* keyword fields: each leaf's path */
	size_t nvals;
} fcache;

/* What a correlation fed by a matching rule needs from the event. */
typedef struct det_feed {
	const char *group; /* "field=value, field=value" */
	const char *value; /* the value field's text (value_* types), NULL if absent */
	size_t value_len;
} det_feed;

/* A rule the ordered stage must look at: it matched, or failed, on the event. */
typedef struct det_rec {
	uint32_t rule;      /* index */
	uint32_t evaluated; /* rule evaluations of this event up to this rule (statistics) */
	uint32_t span0, nspans;
	uint32_t feed0; /* its rule's nfeeds entries in feeds (match && !filtered) */
	bool match;     /* condition (and require_overlap) held; without first_seen: and no filter */
	bool filtered;  /* first_seen rules: a filter removes the match */
	const char *error;      /* the error the rule reports, or NULL */
	const char *error_seen; /* first_seen rules: the error when first_seen fires (filters ran) */
	const char *fs_group, *fs_value; /* first_seen keys, NULL if they could not be built */
} det_rec;

struct sigma_detection {
	const sigma_ruleset *rs;
	uint32_t nrecs, evaluations, nspans, nfeeds;
	const det_rec *recs; /* in rule order */
	const sigma_span *spans;
	const det_feed *feeds;
};

struct sigma_detector {
	const sigma_ruleset *rs; /* read only */
	arena *scratch;          /* reset per event */
	uint32_t epoch;
	fcache *fc;              /* [rs->nfields] */
	uint32_t *cand_epoch, *cands; /* [rs->n + 1] prefilter candidates */
	size_t ncands;
	uint8_t *sel_cache; /* 2 * rs->max_sels: a rule's selections, then a filter's */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	const event *ev;
	sprompt_ctx sp; /* the prompt classifier's result for this event */
	sigma_mctx mc;
	sigma_span spans[SIGMA_MAX_SPANS]; /* of the rule being evaluated */
	size_t nspans;
	/* per-event index of member names -> values, for flatten "anywhere" */
	key_slot *keyidx;
	size_t keyidx_cap;
	uint32_t keyidx_epoch;
	/* the result of the last sigma_detect */
	det_rec *recs; /* [rs->n + 1]: a rule is evaluated at most once per event */
	sigma_span *out_spans;
	size_t nout_spans, cout_spans;
	det_feed *out_feeds;
	size_t nout_feeds, cout_feeds;
	sigma_detection res;
};

static const char *const derived_names[] = {NULL, "prompt", "system", "response", "tool_calls", "credential"};

/* ================================================================ small helpers */

static lt_status oom(lt_error *err)
{
	return lt_error_set(err, LT_EFATAL, "out of memory in the Sigma engine");
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	void *np = realloc(*p, nc * elem);
	if (np == NULL)
		return false;
	*p = np;
	*cap = nc;
	return true;
}

static const char *dup_str(arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : "";
}

/* ================================================================ ruleset lifetime */

sigma_ruleset *ruleset_new(void)
{
	sigma_ruleset *rs = calloc(1, sizeof *rs);
	if (rs == NULL)
		return NULL;
	rs->a = arena_new(0, 0);
	if (rs->a == NULL) {
		free(rs);
		return NULL;
	}
	rs->corr_max = SIGMA_CORR_MAX_EVENTS;
	rs->dig = sha256_new();
	if (rs->dig == NULL) {
		arena_free(rs->a);
		free(rs);
		return NULL;
	}
	rs->state_max = SIGMA_CORR_MAX_STATE;
	return rs;
}

/* Adds one input of detection to the ruleset's digest: its role, length and
 * bytes (so that no two different sequences of inputs hash alike). */
static void digest_input(sigma_ruleset *rs, const char *role, const void *data, size_t n)
{
	uint64_t len = n;
	sha256_update(rs->dig, role, strlen(role) + 1);
	sha256_update(rs->dig, &len, sizeof len);
	sha256_update(rs->dig, data, n);
}

void ruleset_free(sigma_ruleset *rs)
{
	if (rs == NULL)
		return;
	pmodel_free(rs->pm);
	free(rs->pm_dir);
	for (size_t i = 0; i < rs->nre; i++)
		pcre2_code_free(rs->regexes[i]);
	for (size_t i = 0; i < rs->nfields; i++)
		for (size_t k = 0; k < EV_SRC_COUNT; k++)
			sigma_ac_free(rs->fields[i].ac[k]);
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->rules[i]->filters);
		free(rs->rules[i]->feeds);
		sigma_corr_free(rs->rules[i]->corr);
		sigma_fs_free(rs->rules[i]->fs);
	}
	free(rs->regexes);
	free(rs->fields);
	free(rs->rules);
	free(rs->always);
	free(rs->closing);
	sigma_detector_free(rs->own);
	sha256_free(rs->dig);
	arena_free(rs->a);
	free(rs);
}

void ruleset_set_generic(sigma_ruleset *rs, bool generic)
{
	if (!rs->compiled) /* the prefilter is built for one mode */
		rs->generic = generic;
}

void ruleset_set_corr_budget(sigma_ruleset *rs, size_t max_events)
{
	if (!rs->compiled && max_events > 0)
		rs->corr_max = rs->state_max = max_events;
}

/* ================================================================ config files */

static lt_status read_file(const char *path, size_t cap, char **out, size_t *len, lt_error *err)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "cannot open: %s", strerror(errno));
	}
	size_t n = 0, alloc = 8192;
	char *b = malloc(alloc + 1);
	while (b != NULL) {
		size_t r = fread(b + n, 1, alloc - n, f);
		n += r;
		if (n < alloc)
			break;
		if (alloc >= cap) {
			free(b);
			fclose(f);
			lt_error_where(err, path, NULL, 0);
			return lt_error_set(err, LT_EFILE, "file larger than %zu bytes", cap);
		}
		alloc *= 2;
		char *nb = realloc(b, alloc + 1);
		if (nb == NULL)
			free(b);
		b = nb;
	}
	bool bad = ferror(f) != 0;
	fclose(f);
	if (b == NULL)
		return oom(err);
	if (bad) {
		free(b);
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "read error");
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return LT_OK;
}

/* A scalar or a list of scalars as a string list in the arena. */
static bool to_list(arena *a, const sigma_ynode *n, const char ***v, size_t *cnt)
{
	*v = NULL;
	*cnt = 0;
	if (n == NULL)
		return true;
	size_t k = n->type == SIGMA_Y_SEQ ? n->len : 1;
	const char **out = arena_calloc(a, (k ? k : 1) * sizeof *out);
	if (out == NULL)
		return false;
	for (size_t i = 0; i < k; i++) {
		const sigma_ynode *it = n->type == SIGMA_Y_SEQ ? n->items[i] : n;
		if (it->type != SIGMA_Y_SCALAR)
			continue;
		out[(*cnt)++] = it->s;
	}
	*v = out;
	return true;
}

static lt_status load_named_lists(sigma_ruleset *rs, const sigma_ynode *m, named_list **out,
                                  size_t *n, const char *path, lt_error *err)
{
	if (m == NULL)
		return LT_OK;
	if (m->type != SIGMA_Y_MAP) {
		lt_error_where(err, path, NULL, m->line);
		return lt_error_set(err, LT_EFILE, "expected a mapping of names to values");
	}
	*out = arena_calloc(rs->a, (m->len ? m->len : 1) * sizeof **out);
	if (*out == NULL)
		return oom(err);
	for (size_t i = 0; i < m->len; i++) {
		named_list *e = &(*out)[i];
		e->name = m->pairs[i].key->s;
		if (!to_list(rs->a, m->pairs[i].value, &e->v, &e->n))
			return oom(err);
	}
	*n = m->len;
	return LT_OK;
}

static lt_status load_yaml_config(sigma_ruleset *rs, const char *role, const char *path,
                                  const sigma_ynode **root, lt_error *err)
{
	char *text;
	size_t len;
	lt_status st = read_file(path, SIGMA_YAML_MAX_BYTES, &text, &len, err);
	if (st != LT_OK)
		return st;
	digest_input(rs, role, text, len);
	sigma_ynode **docs;
	size_t nd;
	st = sigma_yaml_load(rs->a, text, len, &docs, &nd, err);
	free(text);
	if (st != LT_OK) {
		lt_error_where(err, path, NULL, err->line);
		return st;
	}
	if (nd != 1 || docs[0]->type != SIGMA_Y_MAP) {
		lt_error_where(err, path, NULL, nd ? docs[0]->line : 1);
		return lt_error_set(err, LT_EFILE, "expected one YAML mapping");
	}
	*root = docs[0];
	return LT_OK;
}

lt_status ruleset_set_fieldmap(sigma_ruleset *rs, const char *path, lt_error *err)
{
	const sigma_ynode *root;
	lt_status st = load_yaml_config(rs, "fieldmap", path, &root, err);
	if (st != LT_OK)
		return st;
	const sigma_ynode *m = sigma_yaml_get(root, "fieldmappings");
	if (m == NULL)
		m = sigma_yaml_get(root, "mappings");
	if ((st = load_named_lists(rs, m, &rs->map, &rs->nmap, path, err)) != LT_OK)
		return st;
	const sigma_ynode *fl = sigma_yaml_get(root, "flatten");
	bool b;
	if (sigma_yaml_bool(sigma_yaml_get(root, "strip_spaces"), &b))
		rs->strip_spaces = b;
	if (fl != NULL && sigma_yaml_bool(fl, &b)) {
		rs->flatten_any = b;
	} else if (fl != NULL && !to_list(rs->a, fl, &rs->flatten, &rs->nflatten)) {
		return oom(err);
	}
	size_t k = 0; /* "*" in the list: also any depth */
	for (size_t i = 0; i < rs->nflatten; i++) {
		if (strcmp(rs->flatten[i], "*") == 0)
			rs->flatten_any = true;
		else
			rs->flatten[k++] = rs->flatten[i];
	}
	rs->nflatten = k;
	return LT_OK;
}

lt_status ruleset_set_placeholders(sigma_ruleset *rs, const char *path, lt_error *err)
{
	const sigma_ynode *root;
	lt_status st = load_yaml_config(rs, "placeholders", path, &root, err);
	if (st != LT_OK)
		return st;
	const sigma_ynode *m = sigma_yaml_get(root, "placeholders");
	return load_named_lists(rs, m ? m : root, &rs->ph, &rs->nph, path, err);
}

/* ================================================================ loading */

static sigma_rule *new_rule(sigma_ruleset *rs, const char *file, unsigned line)
{
	if (!grow((void **)&rs->rules, &rs->cap, rs->n + 1, sizeof *rs->rules))
		return NULL;
	sigma_rule *r = arena_calloc(rs->a, sizeof *r);
	if (r == NULL)
		return NULL;
	r->file = file;
	r->line = line;
	r->id = r->name = r->title = r->status = r->level = r->description = r->author = "";
	r->ls_product = r->ls_service = r->ls_category = r->ls_text = "";
	r->index = (uint32_t)rs->n;
	rs->rules[rs->n++] = r;
	return r;
}

static void rule_fail(sigma_rule *r, sigma_state st, unsigned line, const char *msg)
{
	r->state = st;
	r->err_line = line;
	size_t n = strlen(msg);
	if (n >= sizeof r->reason)
		n = sizeof r->reason - 1;
	memcpy(r->reason, msg, n);
	r->reason[n] = '\0';
}

static const char *meta_str(const sigma_ynode *doc, const char *key)
{
	const char *s = sigma_yaml_str(sigma_yaml_get(doc, key));
	return s ? s : "";
}

static bool meta_list(arena *a, const sigma_ynode *doc, const char *key, strlist *out)
{
	return to_list(a, sigma_yaml_get(doc, key), &out->v, &out->n);
}

static void set_logsource(sigma_ruleset *rs, sigma_rule *r)
{
	const sigma_ynode *ls = sigma_yaml_get(r->doc, "logsource");
	r->ls_product = meta_str(ls, "product");
	r->ls_service = meta_str(ls, "service");
	r->ls_category = meta_str(ls, "category");
	r->source = EV_SRC_UNKNOWN;
	if (strcmp(r->ls_product, "aws") == 0) {
		if (strcmp(r->ls_service, "cloudtrail") == 0)
			r->source = EV_SRC_CLOUDTRAIL;
		else if (strcmp(r->ls_service, "bedrock_invocation") == 0)
			r->source = EV_SRC_INVOCATION;
		else if (strcmp(r->ls_service, "bedrock_knowledge_base") == 0)
			r->source = EV_SRC_KBLOG;
	}
	const char *second = r->ls_service[0] ? r->ls_service : r->ls_category;
	size_t n = strlen(r->ls_product) + strlen(second) + 2;
	char *t = arena_alloc(rs->a, n);
	if (t != NULL) {
		snprintf(t, n, "%s%s%s", r->ls_product, r->ls_product[0] && second[0] ? "/" : "", second);
		r->ls_text = t;
	}
}

static lt_status describe_rule(sigma_ruleset *rs, sigma_rule *r, lt_error *err)
{
	const sigma_ynode *d = r->doc;
	r->id = meta_str(d, "id");
	r->name = meta_str(d, "name");
	r->title = meta_str(d, "title");
	r->status = meta_str(d, "status");
	r->level = meta_str(d, "level");
	r->description = meta_str(d, "description");
	r->author = meta_str(d, "author");
	if (!meta_list(rs->a, d, "tags", &r->tags) || !meta_list(rs->a, d, "references", &r->refs) ||
	    !meta_list(rs->a, d, "falsepositives", &r->fps))
		return oom(err);
	set_logsource(rs, r);
	if (sigma_yaml_get(d, "correlation") != NULL) {
		r->kind = SIGMA_KIND_CORRELATION;
		lt_error cerr;
		lt_error_clear(&cerr);
		bool unsup;
		lt_status st = sigma_corr_parse(rs->a, sigma_yaml_get(d, "correlation"), &r->corr, &unsup, &cerr);
		if (st == LT_EFATAL)
			return oom(err);
		if (st != LT_OK)
			rule_fail(r, unsup ? SIGMA_UNSUPPORTED : SIGMA_ERROR,
			          cerr.line ? (unsigned)cerr.line : r->line, cerr.msg);
	} else if (sigma_yaml_get(d, "detection") != NULL) {
		r->kind = SIGMA_KIND_DETECTION;
	} else if (sigma_yaml_get(d, "filter") != NULL) {
		r->kind = SIGMA_KIND_FILTER;
	} else {
		r->kind = SIGMA_KIND_INVALID;
		rule_fail(r, SIGMA_ERROR, r->line,
		          "not a Sigma rule: no detection, filter or correlation section");
		return LT_OK;
	}
	const sigma_ynode *ext = sigma_yaml_get(d, "llmtrail");
	if (ext != NULL && r->state == SIGMA_LOADED) {
		lt_error xerr;
		lt_error_clear(&xerr);
		bool unsup;
		lt_status st = sigma_ext_parse(rs->a, ext, &r->ext, &unsup, &xerr);
		if (st == LT_EFATAL)
			return oom(err);
		if (st != LT_OK)
			rule_fail(r, unsup ? SIGMA_UNSUPPORTED : SIGMA_ERROR,
			          xerr.line ? (unsigned)xerr.line : ext->line, xerr.msg);
	}
	if (r->title[0] == '\0' && r->state == SIGMA_LOADED)
		rule_fail(r, SIGMA_ERROR, r->line, "missing title");
	else if (r->kind != SIGMA_KIND_CORRELATION && sigma_yaml_get(d, "logsource") == NULL)
		rule_fail(r, SIGMA_ERROR, r->line, "missing logsource");
	return LT_OK;
}

/* Applies action: global / reset / repeat; *doc becomes the rule document or NULL. */
static const sigma_ynode *collection_step(arena *a, const sigma_ynode *raw, const sigma_ynode **global,
                                          const sigma_ynode **prev, bool *is_rule)
{
	*is_rule = true;
	const char *action = sigma_yaml_str(sigma_yaml_get(raw, "action"));
	if (action != NULL && strcmp(action, "global") == 0) {
		*global = raw;
		*is_rule = false;
		return NULL;
	}
	if (action != NULL && strcmp(action, "reset") == 0) {
		*global = NULL;
		*is_rule = false;
		return NULL;
	}
	const sigma_ynode *base = (action != NULL && strcmp(action, "repeat") == 0) ? *prev : *global;
	const sigma_ynode *doc = base ? sigma_yaml_merge(a, base, raw) : raw;
	*prev = doc;
	return doc;
}

lt_status ruleset_load_text(sigma_ruleset *rs, const char *name, const char *text, size_t len,
                            lt_error *err)
{
	if (rs->compiled)
		return lt_error_set(err, LT_EFATAL, "rules loaded after ruleset_compile");
	const char *file = dup_str(rs->a, name);
	if (file == NULL)
		return oom(err);
	digest_input(rs, "rules", text, len);
	sigma_ynode **docs;
	size_t nd;
	lt_error yerr;
	lt_error_clear(&yerr);
	lt_status st = sigma_yaml_load(rs->a, text, len, &docs, &nd, &yerr);
	if (st == LT_EFATAL)
		return oom(err);
	if (st != LT_OK || nd == 0) {
		sigma_rule *r = new_rule(rs, file, (unsigned)(st != LT_OK ? yerr.line : 1));
		if (r == NULL)
			return oom(err);
		r->kind = SIGMA_KIND_INVALID;
		rule_fail(r, SIGMA_ERROR, r->line, st != LT_OK ? yerr.msg : "empty file: no rule");
		return LT_OK;
	}
	const sigma_ynode *global = NULL, *prev = NULL;
	for (size_t i = 0; i < nd; i++) {
		sigma_rule *r;
		if (docs[i]->type != SIGMA_Y_MAP) {
			if ((r = new_rule(rs, file, docs[i]->line)) == NULL)
				return oom(err);
			r->kind = SIGMA_KIND_INVALID;
			rule_fail(r, SIGMA_ERROR, r->line, "document is not a mapping");
			continue;
		}
		bool is_rule;
		const sigma_ynode *doc = collection_step(rs->a, docs[i], &global, &prev, &is_rule);
		if (!is_rule)
			continue;
		if (doc == NULL || (r = new_rule(rs, file, docs[i]->line)) == NULL)
			return oom(err);
		r->doc = doc;
		if ((st = describe_rule(rs, r, err)) != LT_OK)
			return st;
	}
	return LT_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rule_name(const char *n)
{
	size_t l = strlen(n);
	return (l > 4 && strcmp(n + l - 4, ".yml") == 0) || (l > 5 && strcmp(n + l - 5, ".yaml") == 0);
}

typedef struct pathv {
	char **v;
	size_t n, cap;
} pathv;

static lt_status collect_files(const char *dir, pathv *out, int depth, lt_error *err)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		lt_error_where(err, dir, NULL, 0);
		return lt_error_set(err, LT_EFILE, "cannot open folder: %s", strerror(errno));
	}
	pathv here = {NULL, 0, 0};
	struct dirent *e;
	lt_status st = LT_OK;
	while ((e = readdir(d)) != NULL && st == LT_OK) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *p = malloc(n);
		if (p == NULL || !grow((void **)&here.v, &here.cap, here.n + 1, sizeof *here.v)) {
			free(p);
			st = oom(err);
			break;
		}
		snprintf(p, n, "%s/%s", dir, e->d_name);
		here.v[here.n++] = p;
	}
	closedir(d);
	if (here.n)
		lt_sort(here.v, here.n, sizeof *here.v, cmp_str);
	for (size_t i = 0; i < here.n; i++) {
		struct stat sb;
		char *p = here.v[i];
		here.v[i] = NULL;
		if (st == LT_OK && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < 32) {
			st = collect_files(p, out, depth + 1, err);
			free(p);
		} else if (st == LT_OK && S_ISREG(sb.st_mode) && is_rule_name(p) && out->n < MAX_FILES) {
			if (!grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v)) {
				free(p);
				st = oom(err);
			} else {
				out->v[out->n++] = p;
			}
		} else {
			free(p);
		}
	}
	free(here.v);
	return st;
}

static lt_status load_file(sigma_ruleset *rs, const char *path, lt_error *err)
{
	char *text;
	size_t len;
	lt_error ferr;
	lt_error_clear(&ferr);
	lt_status st = read_file(path, SIGMA_YAML_MAX_BYTES, &text, &len, &ferr);
	if (st == LT_EFATAL)
		return oom(err);
	if (st != LT_OK) {
		sigma_rule *r = new_rule(rs, dup_str(rs->a, path), 0);
		if (r == NULL)
			return oom(err);
		r->kind = SIGMA_KIND_INVALID;
		rule_fail(r, SIGMA_ERROR, 0, ferr.msg);
		return LT_OK;
	}
	st = ruleset_load_text(rs, path, text, len, err);
	free(text);
	return st;
}

lt_status ruleset_load_path(sigma_ruleset *rs, const char *path, lt_error *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "cannot read: %s", strerror(errno));
	}
	if (rs->pm_dir == NULL && (rs->pm_dir = strdup(path)) == NULL)
		return oom(err);
	if (!S_ISDIR(sb.st_mode)) {
		char *slash = strrchr(rs->pm_dir, '/');
		if (slash != NULL)
			*slash = '\0';
		else
			strcpy(rs->pm_dir, ".");
		return load_file(rs, path, err);
	}
	pathv files = {NULL, 0, 0};
	lt_status st = collect_files(path, &files, 0, err);
	for (size_t i = 0; i < files.n; i++) {
		if (st == LT_OK)
			st = load_file(rs, files.v[i], err);
		free(files.v[i]);
	}
	free(files.v);
	return st;
}

/* ================================================================ fields */

static const named_list *map_lookup(const sigma_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nmap; i++)
		if (strcmp(rs->map[i].name, name) == 0)
			return &rs->map[i];
	return NULL;
}

static lt_status intern_field(sigma_ruleset *rs, const char *name, bool keyword, uint32_t *id,
                              lt_error *err)
{
	for (size_t i = 0; i < rs->nfields; i++)
		if (rs->fields[i].keyword == keyword && strcmp(rs->fields[i].name, name) == 0) {
			*id = (uint32_t)i;
			return LT_OK;
		}
	if (!grow((void **)&rs->fields, &rs->cfields, rs->nfields + 1, sizeof *rs->fields))
		return oom(err);
	field_def *f = &rs->fields[rs->nfields];
	memset(f, 0, sizeof *f);
	f->name = (char *)(uintptr_t)dup_str(rs->a, name);
	f->keyword = keyword;
	if (f->name == NULL)
		return oom(err);
	if (!keyword) {
		for (int d = DER_PROMPT; d <= DER_CREDENTIAL; d++)
			if (strcmp(name, derived_names[d]) == 0)
				f->derived = d;
		f->prompt_kind = sprompt_field_kind(name);
		const named_list *m = map_lookup(rs, name);
		size_t np = m ? m->n : 1 + rs->nflatten;
		f->paths = arena_calloc(rs->a, (np ? np : 1) * sizeof *f->paths);
		if (f->paths == NULL)
			return oom(err);
		if (m != NULL) {
			for (size_t i = 0; i < m->n; i++)
				f->paths[f->npaths++] = (char *)(uintptr_t)m->v[i];
		} else {
			f->paths[f->npaths++] = f->name;
			for (size_t i = 0; i < rs->nflatten; i++) {
				size_t l = strlen(rs->flatten[i]) + strlen(name) + 2;
				char *p = arena_alloc(rs->a, l);
				if (p == NULL)
					return oom(err);
				snprintf(p, l, "%s.%s", rs->flatten[i], name);
				f->paths[f->npaths++] = p;
			}
			f->anywhere = rs->flatten_any;
		}
	}
	*id = (uint32_t)rs->nfields++;
	return LT_OK;
}

/* ================================================================ compiling detections */

typedef struct cenv {
	sigma_ruleset *rs;
	lt_error *err;
} cenv;

static const char *const *ph_lookup(void *ctx, const char *name, size_t *n)
{
	cenv *ce = ctx;
	for (size_t i = 0; i < ce->rs->nph; i++)
		if (strcmp(ce->rs->ph[i].name, name) == 0) {
			*n = ce->rs->ph[i].n;
			return ce->rs->ph[i].v;
		}
	return NULL;
}

static lt_status field_lookup(void *ctx, const char *name, uint32_t *id)
{
	cenv *ce = ctx;
	return intern_field(ce->rs, name, false, id, ce->err);
}

static lt_status keep_re(void *ctx, void *re)
{
	cenv *ce = ctx;
	sigma_ruleset *rs = ce->rs;
	if (!grow((void **)&rs->regexes, &rs->cre, rs->nre + 1, sizeof *rs->regexes))
		return LT_EFATAL;
	rs->regexes[rs->nre++] = re;
	return LT_OK;
}

/* "Field|mod1|mod2" -> field name and modifier names (in the arena). */
static lt_status split_key(arena *a, const char *key, const char **field, const char ***mods,
                           size_t *nmods, lt_error *err)
{
	size_t cnt = 0;
	for (const char *p = key; *p; p++)
		cnt += *p == '|';
	*mods = arena_calloc(a, (cnt ? cnt : 1) * sizeof **mods);
	char *copy = arena_strndup(a, key, strlen(key));
	if (*mods == NULL || copy == NULL)
		return oom(err);
	*nmods = 0;
	char *bar = strchr(copy, '|');
	*field = copy;
	while (bar != NULL) {
		*bar = '\0';
		char *m = bar + 1;
		bar = strchr(m, '|');
		(*mods)[(*nmods)++] = m;
	}
	return LT_OK;
}

static lt_status compile_item(cenv *ce, const char *key, const sigma_ynode *value, item *it,
                              bool *unsupported)
{
	sigma_ruleset *rs = ce->rs;
	const char *field = "";
	const char **mods = NULL;
	size_t nmods = 0;
	lt_status st = split_key(rs->a, key, &field, &mods, &nmods, ce->err);
	if (st != LT_OK)
		return st;
	bool keyword = field[0] == '\0';
	if ((st = intern_field(rs, field, keyword, &it->field, ce->err)) != LT_OK)
		return st;
	sigma_vcompile_env env = {rs->a, ph_lookup, field_lookup, keep_re, ce};
	st = sigma_vitem_compile(&env, (const char *const *)mods, nmods, value, keyword, &it->v,
	                         unsupported, ce->err);
	if (st != LT_OK && ce->err->line == 0)
		lt_error_where(ce->err, NULL, NULL, value->line);
	return st;
}

static lt_status compile_map(cenv *ce, const sigma_ynode *m, alt *out, bool *unsupported)
{
	out->n = 0;
	out->items = arena_calloc(ce->rs->a, (m->len ? m->len : 1) * sizeof *out->items);
	if (out->items == NULL)
		return oom(ce->err);
	if (m->len == 0) {
		lt_error_where(ce->err, NULL, NULL, m->line);
		return lt_error_set(ce->err, LT_EITEM, "empty selection");
	}
	for (size_t i = 0; i < m->len; i++) {
		lt_status st = compile_item(ce, m->pairs[i].key->s, m->pairs[i].value, &out->items[out->n],
		                            unsupported);
		if (st != LT_OK) {
			if (ce->err->line == 0)
				lt_error_where(ce->err, NULL, NULL, m->pairs[i].key->line);
			return st;
		}
		out->n++;
	}
	return LT_OK;
}

static lt_status compile_keywords(cenv *ce, const sigma_ynode *v, alt *out, bool *unsupported)
{
	out->items = arena_calloc(ce->rs->a, sizeof *out->items);
	if (out->items == NULL)
		return oom(ce->err);
	out->n = 1;
	return compile_item(ce, "", v, &out->items[0], unsupported);
}

static lt_status compile_sel(cenv *ce, const sigma_ynode *v, sel *out, bool *unsupported)
{
	if (v->type == SIGMA_Y_MAP) {
		out->alts = arena_calloc(ce->rs->a, sizeof *out->alts);
		out->n = 1;
		return out->alts ? compile_map(ce, v, &out->alts[0], unsupported) : oom(ce->err);
	}
	if (v->type == SIGMA_Y_SCALAR) {
		if (sigma_yaml_is_null(v)) {
			lt_error_where(ce->err, NULL, NULL, v->line);
			return lt_error_set(ce->err, LT_EITEM, "search identifier has no value");
		}
		out->alts = arena_calloc(ce->rs->a, sizeof *out->alts);
		out->n = 1;
		return out->alts ? compile_keywords(ce, v, &out->alts[0], unsupported) : oom(ce->err);
	}
	/* a list: scalars are keywords (one OR-ed item), maps are alternatives */
	bool all_scalars = true;
	for (size_t i = 0; i < v->len; i++)
		all_scalars = all_scalars && v->items[i]->type == SIGMA_Y_SCALAR;
	if (v->len == 0) {
		lt_error_where(ce->err, NULL, NULL, v->line);
		return lt_error_set(ce->err, LT_EITEM, "empty search identifier list");
	}
	if (all_scalars) {
		out->alts = arena_calloc(ce->rs->a, sizeof *out->alts);
		out->n = 1;
		return out->alts ? compile_keywords(ce, v, &out->alts[0], unsupported) : oom(ce->err);
	}
	out->alts = arena_calloc(ce->rs->a, v->len * sizeof *out->alts);
	if (out->alts == NULL)
		return oom(ce->err);
	out->n = 0;
	for (size_t i = 0; i < v->len; i++) {
		const sigma_ynode *e = v->items[i];
		lt_status st;
		if (e->type == SIGMA_Y_MAP)
			st = compile_map(ce, e, &out->alts[out->n], unsupported);
		else if (e->type == SIGMA_Y_SCALAR)
			st = compile_keywords(ce, e, &out->alts[out->n], unsupported);
		else {
			lt_error_where(ce->err, NULL, NULL, e->line);
			st = lt_error_set(ce->err, LT_EITEM, "a list inside a search identifier list");
		}
		if (st != LT_OK)
			return st;
		out->n++;
	}
	return LT_OK;
}

static lt_status compile_condition(cenv *ce, sigma_rule *r, const sigma_ynode *c, bool *unsupported)
{
	if (c == NULL) {
		lt_error_set(ce->err, LT_EITEM, "detection has no condition");
		return LT_EITEM;
	}
	size_t k = c->type == SIGMA_Y_SEQ ? c->len : 1;
	if (k == 0 || c->type == SIGMA_Y_MAP) {
		lt_error_where(ce->err, NULL, NULL, c->line);
		return lt_error_set(ce->err, LT_EITEM, "condition must be a string or a list of strings");
	}
	for (size_t i = 0; i < k; i++) {
		const sigma_ynode *s = c->type == SIGMA_Y_SEQ ? c->items[i] : c;
		if (s->type != SIGMA_Y_SCALAR) {
			lt_error_where(ce->err, NULL, NULL, s->line);
			return lt_error_set(ce->err, LT_EITEM, "condition must be a string");
		}
		sigma_cond *one;
		lt_status st = sigma_cond_parse(ce->rs->a, s->s, r->sel_names, r->nsels, &one, unsupported,
		                                ce->err);
		if (st != LT_OK) {
			lt_error_where(ce->err, NULL, NULL, s->line);
			return st;
		}
		r->cond = sigma_cond_or(ce->rs->a, r->cond, one);
		if (r->cond == NULL)
			return oom(ce->err);
	}
	return LT_OK;
}

static lt_status compile_detection(cenv *ce, sigma_rule *r, const sigma_ynode *det, bool *unsupported)
{
	if (det->type != SIGMA_Y_MAP) {
		lt_error_where(ce->err, NULL, NULL, det->line);
		return lt_error_set(ce->err, LT_EITEM, "detection must be a mapping");
	}
	bool filter = r->kind == SIGMA_KIND_FILTER;
	r->sel_names = arena_calloc(ce->rs->a, (det->len ? det->len : 1) * sizeof *r->sel_names);
	r->sels = arena_calloc(ce->rs->a, (det->len ? det->len : 1) * sizeof *r->sels);
	if (r->sel_names == NULL || r->sels == NULL)
		return oom(ce->err);
	for (size_t i = 0; i < det->len; i++) {
		const char *k = det->pairs[i].key->s;
		if (strcmp(k, "condition") == 0 || (filter && strcmp(k, "rules") == 0))
			continue;
		if (strcmp(k, "timeframe") == 0) {
			*unsupported = true;
			lt_error_where(ce->err, NULL, NULL, det->pairs[i].key->line);
			return lt_error_set(ce->err, LT_EITEM, "timeframe in a detection (use a correlation rule)");
		}
		r->sel_names[r->nsels] = k;
		lt_status st = compile_sel(ce, det->pairs[i].value, &r->sels[r->nsels], unsupported);
		if (st != LT_OK)
			return st;
		r->nsels++;
	}
	return compile_condition(ce, r, sigma_yaml_get(det, "condition"), unsupported);
}

/* Hands the rule's validators to each of its regex matchers; resolves the
 * require_overlap fields. */
static lt_status compile_ext(cenv *ce, sigma_rule *r)
{
	size_t nre = 0;
	for (size_t s = 0; s < r->nsels; s++)
		for (size_t a = 0; a < r->sels[s].n; a++)
			for (size_t i = 0; i < r->sels[s].alts[a].n; i++) {
				sigma_vitem *v = &r->sels[s].alts[a].items[i].v;
				for (size_t g = 0; g < v->ng; g++)
					for (size_t k = 0; k < v->g[g].n; k++)
						if (v->g[g].m[k].re != NULL) {
							v->g[g].m[k].valid = r->ext.valid;
							nre++;
						}
			}
	if (r->ext.valid != NULL && nre == 0)
		return lt_error_set(ce->err, LT_EITEM,
		                    "llmtrail: validators and exclude_matches need a regex (re) item");
	if (r->ext.first_seen) {
		r->fs = sigma_fs_new();
		r->fs_group_ids = arena_calloc(ce->rs->a, (r->ext.fs_ngroup + 1) * sizeof *r->fs_group_ids);
		r->fs_field_ids = arena_calloc(ce->rs->a, (r->ext.fs_nfields + 1) * sizeof *r->fs_field_ids);
		if (r->fs == NULL || r->fs_group_ids == NULL || r->fs_field_ids == NULL)
			return lt_error_set(ce->err, LT_EFATAL, "out of memory");
		for (size_t i = 0; i < r->ext.fs_ngroup; i++) {
			lt_status st = intern_field(ce->rs, r->ext.fs_group[i], false, &r->fs_group_ids[i], ce->err);
			if (st != LT_OK)
				return st;
		}
		for (size_t i = 0; i < r->ext.fs_nfields; i++) {
			lt_status st = intern_field(ce->rs, r->ext.fs_fields[i], false, &r->fs_field_ids[i], ce->err);
			if (st != LT_OK)
				return st;
		}
	}
	if (r->ext.overlap_field != NULL) {
		lt_status st = intern_field(ce->rs, r->ext.overlap_field, false, &r->overlap_a, ce->err);
		if (st == LT_OK)
			st = intern_field(ce->rs, r->ext.overlap_with, false, &r->overlap_b, ce->err);
		return st;
	}
	return LT_OK;
}

static lt_status compile_rule(sigma_ruleset *rs, sigma_rule *r, lt_error *fatal)
{
	lt_error err;
	lt_error_clear(&err);
	cenv ce = {rs, &err};
	bool unsupported = false;
	const sigma_ynode *det = sigma_yaml_get(r->doc, r->kind == SIGMA_KIND_FILTER ? "filter" : "detection");
	lt_status st = compile_detection(&ce, r, det, &unsupported);
	if (st == LT_OK)
		st = compile_ext(&ce, r);
	if (st == LT_EFATAL) {
		*fatal = err;
		return st;
	}
	if (st != LT_OK)
		rule_fail(r, unsupported ? SIGMA_UNSUPPORTED : SIGMA_ERROR,
		          err.line ? (unsigned)err.line : r->line, err.msg);
	return LT_OK;
}

static void attach_filters(sigma_ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		sigma_rule *f = rs->rules[i];
		if (f->kind != SIGMA_KIND_FILTER || f->state != SIGMA_LOADED)
			continue;
		const char **targets;
		size_t nt;
		if (!to_list(rs->a, sigma_yaml_get(sigma_yaml_get(f->doc, "filter"), "rules"), &targets, &nt))
			continue;
		for (size_t t = 0; t < nt; t++)
			for (size_t j = 0; j < rs->n; j++) {
				sigma_rule *r = rs->rules[j];
				if (r->kind != SIGMA_KIND_DETECTION ||
				    (strcmp(r->id, targets[t]) != 0 && strcmp(r->name, targets[t]) != 0))
					continue;
				if (grow((void **)&r->filters, &r->cfilters, r->nfilters + 1, sizeof *r->filters))
					r->filters[r->nfilters++] = f;
			}
	}
}

/* ================================================================ prefilter */

typedef struct lit {
	uint32_t field;
	const char *s;
	size_t n;
} lit;

typedef struct litset {
	lit *v;
	size_t n, cap;
	bool top; /* no literal bounds this part: it may match anything */
} litset;

static const litset TOP = {NULL, 0, 0, true};

/* x OR y. Sets are temporaries owned by their one user, so x grows in place. */
static litset lit_union(arena *a, litset x, litset y)
{
	if (x.top || y.top)
		return TOP;
	if (x.n + y.n > x.cap) {
		size_t nc = (x.n + y.n) * 2 + 4;
		lit *nv = arena_alloc(a, nc * sizeof(lit));
		if (nv == NULL)
			return TOP;
		if (x.n)
			memcpy(nv, x.v, x.n * sizeof(lit));
		x.v = nv;
		x.cap = nc;
	}
	if (y.n)
		memcpy(x.v + x.n, y.v, y.n * sizeof(lit));
	x.n += y.n;
	return x;
}

static size_t lit_score(litset s)
{
	size_t m = SIZE_MAX;
	for (size_t i = 0; i < s.n; i++)
		m = s.v[i].n < m ? s.v[i].n : m;
	return m;
}

/* The better of two sets that both must hold (AND). */
static litset lit_best(litset x, litset y)
{
	if (x.top)
		return y;
	if (y.top)
		return x;
	size_t sx = lit_score(x), sy = lit_score(y);
	if (sx != sy)
		return sx > sy ? x : y;
	return x.n <= y.n ? x : y;
}

static litset need_group(arena *a, uint32_t field, const sigma_vgroup *g)
{
	litset s = {arena_alloc(a, (g->n + 1) * sizeof(lit)), 0, g->n + 1, false};
	if (s.v == NULL)
		return TOP;
	for (size_t k = 0; k < g->n; k++) {
		if (g->m[k].prefilter == NULL)
			return TOP;
		s.v[s.n++] = (lit){field, g->m[k].prefilter, g->m[k].prefilter_n};
	}
	return s;
}

static litset need_item(arena *a, const item *it)
{
	const sigma_vitem *v = &it->v;
	if (v->kind != SIGMA_V_MATCH || v->neq || v->has_null || v->ng == 0)
		return TOP;
	litset acc = v->all ? TOP : (litset){NULL, 0, 0, false};
	for (size_t gi = 0; gi < v->ng; gi++) {
		litset g = need_group(a, it->field, &v->g[gi]);
		acc = v->all ? lit_best(acc, g) : lit_union(a, acc, g);
	}
	return acc;
}

static litset need_sel(arena *a, const sel *s)
{
	litset acc = {NULL, 0, 0, false};
	for (size_t i = 0; i < s->n; i++) {
		litset one = TOP;
		for (size_t k = 0; k < s->alts[i].n; k++)
			one = lit_best(one, need_item(a, &s->alts[i].items[k]));
		acc = lit_union(a, acc, one);
	}
	return s->n ? acc : TOP;
}

static litset need_cond(arena *a, const sigma_rule *r, const sigma_cond *c)
{
	switch (c->op) {
	case SIGMA_C_SEL:
		return need_sel(a, &r->sels[c->sel]);
	case SIGMA_C_NOT:
		return TOP;
	case SIGMA_C_AND:
	case SIGMA_C_ALL_OF: {
		litset acc = TOP;
		for (size_t i = 0; i < c->n; i++)
			acc = lit_best(acc, need_cond(a, r, c->kids[i]));
		return acc;
	}
	default: {
		litset acc = {NULL, 0, 0, false};
		for (size_t i = 0; i < c->n; i++)
			acc = lit_union(a, acc, need_cond(a, r, c->kids[i]));
		return acc;
	}
	}
}

static lt_status build_prefilter(sigma_ruleset *rs, lt_error *err)
{
	arena *tmp = arena_new(0, 0);
	rs->always = calloc(rs->n + 1, sizeof *rs->always);
	if (tmp == NULL || rs->always == NULL) {
		arena_free(tmp);
		return oom(err);
	}
	lt_status st = LT_OK;
	for (size_t i = 0; i < rs->n && st == LT_OK; i++) {
		sigma_rule *r = rs->rules[i];
		if (r->kind != SIGMA_KIND_DETECTION || r->state != SIGMA_LOADED)
			continue;
		if (!rs->generic && r->source == EV_SRC_UNKNOWN) {
			r->inert = true; /* not applicable: no event will ever reach it */
			continue;
		}
		size_t slot = rs->generic ? 0 : (size_t)r->source;
		litset need = need_cond(tmp, r, r->cond);
		if (need.top || need.n == 0) {
			r->always = true;
			rs->always[rs->nalways++] = r->index;
			continue;
		}
		for (size_t k = 0; k < need.n && st == LT_OK; k++) {
			field_def *f = &rs->fields[need.v[k].field];
			if (f->ac[slot] == NULL && (f->ac[slot] = sigma_ac_new()) == NULL)
				st = oom(err);
			else if (sigma_ac_add(f->ac[slot], need.v[k].s, need.v[k].n, r->index) != LT_OK)
				st = oom(err);
			else
				rs->npatterns++;
		}
	}
	arena_free(tmp);
	for (size_t i = 0; i < rs->nfields && st == LT_OK; i++)
		for (size_t k = 0; k < EV_SRC_COUNT; k++)
			if (rs->fields[i].ac[k] != NULL && sigma_ac_build(rs->fields[i].ac[k]) != LT_OK)
				st = oom(err);
	return st;
}

static sigma_rule *find_rule(sigma_ruleset *rs, const char *ref)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i]->id, ref) == 0)
			return rs->rules[i];
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->name[0] && strcmp(rs->rules[i]->name, ref) == 0)
			return rs->rules[i];
	return NULL;
}

/* Why a correlation cannot use rule b (NULL: it can). */
static const char *ref_problem(const sigma_rule *b, sigma_state *st)
{
	*st = SIGMA_ERROR;
	if (b == NULL)
		return "refers to an unknown rule";
	*st = SIGMA_UNSUPPORTED;
	if (b->kind == SIGMA_KIND_CORRELATION)
		return "correlation of correlations (not evaluated yet)";
	if (b->kind != SIGMA_KIND_DETECTION)
		return "refers to a rule that is not a detection rule";
	if (b->state != SIGMA_LOADED)
		return "refers to a rule that does not load";
	return NULL;
}

/* Resolves the referenced rules, the group-by and value fields of each, and
 * registers the correlation with its base rules. */
static lt_status link_correlation(sigma_ruleset *rs, sigma_rule *r, lt_error *err)
{
	size_t nref = sigma_corr_nrefs(r->corr), ng = sigma_corr_ngroup(r->corr);
	r->group_fields = arena_calloc(rs->a, nref * sizeof *r->group_fields);
	r->value_field = arena_calloc(rs->a, nref * sizeof *r->value_field);
	if (r->group_fields == NULL || r->value_field == NULL)
		return oom(err);
	for (size_t k = 0; k < nref; k++) {
		sigma_rule *b = find_rule(rs, sigma_corr_ref(r->corr, k));
		sigma_state st;
		const char *why = ref_problem(b, &st);
		if (why != NULL) {
			char msg[REASON_MAX];
			snprintf(msg, sizeof msg, "correlation: %s: %.120s", why, sigma_corr_ref(r->corr, k));
			rule_fail(r, st, r->line, msg);
			return LT_OK;
		}
	}
	/* A correlation runs on the events of its rules: it takes the log source
	 * of the first one (for `rules list` and for "no such events" checks). */
	const sigma_rule *first = find_rule(rs, sigma_corr_ref(r->corr, 0));
	r->source = first->source;
	if (r->ls_text[0] == '\0')
		r->ls_text = first->ls_text;
	for (size_t k = nref; k-- > 0;) { /* descending: temporal_ordered steps sharing a rule */
		sigma_rule *b = find_rule(rs, sigma_corr_ref(r->corr, k));
		r->group_fields[k] = arena_calloc(rs->a, (ng + 1) * sizeof **r->group_fields);
		if (r->group_fields[k] == NULL)
			return oom(err);
		for (size_t g = 0; g < ng; g++) {
			lt_status st = intern_field(rs, sigma_corr_group_field(r->corr, g, b->name), false,
			                            &r->group_fields[k][g], err);
			if (st != LT_OK)
				return st;
		}
		if (sigma_corr_value_field(r->corr) != NULL) {
			lt_status st = intern_field(rs, sigma_corr_value_field(r->corr), false, &r->value_field[k], err);
			if (st != LT_OK)
				return st;
		}
		if (!grow((void **)&b->feeds, &b->cfeeds, b->nfeeds + 1, sizeof *b->feeds))
			return oom(err);
		b->feeds[b->nfeeds++] = (corr_ref){r, k};
		if (!sigma_corr_generate(r->corr))
			b->hidden = true;
	}
	return LT_OK;
}

void ruleset_reset_state(sigma_ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->rules[i]->corr != NULL)
			sigma_corr_reset(rs->rules[i]->corr);
		if (rs->rules[i]->fs != NULL)
			sigma_fs_reset(rs->rules[i]->fs);
	}
}

/* The digest of what detection depends on, once everything is loaded. The
 * engine's own version is part of it: a new llmtrail may detect otherwise. */
static void finish_digest(sigma_ruleset *rs)
{
	static const char engine[] = PACKAGE_VERSION "/detect-" SIGMA_DETECT_FORMAT;
	unsigned char generic = rs->generic ? 1 : 0;
	const char *model = rs->pm != NULL ? pmodel_digest(rs->pm) : "";
	digest_input(rs, "engine", engine, sizeof engine - 1);
	digest_input(rs, "generic", &generic, 1);
	digest_input(rs, "prompt-model", model, strlen(model));
	if (sha256_final_hex(rs->dig, rs->digest) != LT_OK)
		rs->digest[0] = '\0';
}

const char *ruleset_digest(const sigma_ruleset *rs)
{
	return rs->compiled ? rs->digest : "";
}

lt_status ruleset_compile(sigma_ruleset *rs, lt_error *err)
{
	if (rs->compiled)
		return LT_OK;
	lt_status st;
	for (size_t i = 0; i < rs->n; i++) {
		sigma_rule *r = rs->rules[i];
		if ((r->kind == SIGMA_KIND_DETECTION || r->kind == SIGMA_KIND_FILTER) &&
		    r->state == SIGMA_LOADED && (st = compile_rule(rs, r, err)) != LT_OK)
			return st;
	}
	attach_filters(rs);
	for (size_t i = 0; i < rs->nfields && !rs->pm_loaded; i++)
		if (rs->fields[i].prompt_kind) {
			rs->pm = sprompt_load(rs->pm_dir);
			rs->pm_loaded = true;
		}
	for (size_t i = 0; i < rs->n; i++) {
		sigma_rule *r = rs->rules[i];
		if (r->kind == SIGMA_KIND_CORRELATION && r->state == SIGMA_LOADED &&
		    (st = link_correlation(rs, r, err)) != LT_OK)
			return st;
		if (r->corr != NULL)
			sigma_corr_set_budget(r->corr, &rs->corr_used, rs->corr_max, &rs->state_used, rs->state_max);
	}
	rs->max_sels = 1;
	for (size_t i = 0; i < rs->n; i++)
		rs->max_sels = rs->rules[i]->nsels > rs->max_sels ? rs->rules[i]->nsels : rs->max_sels;
	rs->closing = calloc(rs->n + 1, sizeof *rs->closing);
	if (rs->closing == NULL)
		return oom(err);
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->kind == SIGMA_KIND_CORRELATION && rs->rules[i]->state == SIGMA_LOADED &&
		    sigma_corr_at_close(rs->rules[i]->corr))
			rs->closing[rs->nclosing++] = (uint32_t)i;
	if ((st = build_prefilter(rs, err)) != LT_OK)
		return st;
	finish_digest(rs);
	rs->compiled = true;
	return LT_OK;
}

/* ================================================================ field values per event */

typedef struct vvec {
	sigma_fval *v;
	const char **paths;
	size_t n, cap;
	bool with_paths;
} vvec;

static void vpush(arena *a, vvec *vv, sigma_fval fv, const char *path)
{
	if (vv->n >= MAX_LEAVES)
		return;
	if (vv->n == vv->cap) {
		size_t nc = vv->cap ? vv->cap * 2 : 8;
		sigma_fval *nv = arena_alloc(a, nc * sizeof *nv);
		const char **np = vv->with_paths ? arena_alloc(a, nc * sizeof *np) : NULL;
		if (nv == NULL || (vv->with_paths && np == NULL))
			return;
		if (vv->n) {
			memcpy(nv, vv->v, vv->n * sizeof *nv);
			if (np)
				memcpy(np, vv->paths, vv->n * sizeof *np);
		}
		vv->v = nv;
		vv->paths = np;
		vv->cap = nc;
	}
	if (vv->with_paths)
		vv->paths[vv->n] = path;
	vv->v[vv->n++] = fv;
}

static sigma_fval fval_of(const json_value *v)
{
	sigma_fval f = {NULL, 0, v->type};
	switch (v->type) {
	case JSON_STRING:
	case JSON_NUMBER:
		f.s = v->u.s;
		f.n = v->len;
		break;
	case JSON_TRUE:
		f.s = "true";
		f.n = 4;
		break;
	case JSON_FALSE:
		f.s = "false";
		f.n = 5;
		break;
	default:
		break;
	}
	return f;
}

static void emit_leaf(arena *a, vvec *vv, const json_value *v, int depth)
{
	if (v->type == JSON_ARRAY && depth < 64) {
		for (size_t i = 0; i < v->len; i++)
			emit_leaf(a, vv, &v->u.items[i], depth + 1);
		return;
	}
	vpush(a, vv, fval_of(v), NULL);
}

/* How many bytes of rest the key covers (0: no match); with strip, spaces in
 * the key are ignored (Sigma: "Threat Name" is written ThreatName). */
static size_t key_prefix(const char *rest, const char *key, size_t kn, bool strip)
{
	if (!strip)
		return kn > 0 && strncmp(rest, key, kn) == 0 && memchr(key, '\0', kn) == NULL ? kn : 0;
	size_t r = 0;
	for (size_t i = 0; i < kn; i++) {
		if (key[i] == ' ')
			continue;
		if (rest[r] != key[i] || rest[r] == '\0')
			return 0;
		r++;
	}
	return r;
}

/* rest: the remaining dotted path; a member key matches a whole number of segments. */
static void walk_path(arena *a, vvec *vv, const json_value *v, const char *rest, bool strip,
                      int depth)
{
	if (depth > 128)
		return;
	if (*rest == '\0') {
		emit_leaf(a, vv, v, depth);
		return;
	}
	if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->len; i++)
			walk_path(a, vv, &v->u.items[i], rest, strip, depth + 1);
		return;
	}
	if (v->type != JSON_OBJECT)
		return;
	for (size_t i = 0; i < v->len; i++) {
		const json_member *m = &v->u.members[i];
		size_t used = key_prefix(rest, m->key, m->key_len, strip);
		if (used == 0)
			continue;
		const char *next = rest + used;
		if (*next == '.')
			walk_path(a, vv, &m->value, next + 1, strip, depth + 1);
		else if (*next == '\0')
			walk_path(a, vv, &m->value, next, strip, depth + 1);
	}
}

static uint64_t hash_bytes(const char *p, size_t n)
{
	return lt_fnv64_add(LT_FNV64_SEED_SHORT, p, n);
}

static key_slot *key_lookup(sigma_detector *d, const char *k, size_t kn, bool insert)
{
	size_t mask = d->keyidx_cap - 1, h = (size_t)hash_bytes(k, kn) & mask;
	for (size_t probes = 0; probes <= mask; probes++, h = (h + 1) & mask) {
		key_slot *sl = &d->keyidx[h];
		if (sl->key == NULL) {
			if (!insert)
				return NULL;
			sl->key = k;
			sl->key_len = kn;
			return sl;
		}
		if (sl->key_len == kn && memcmp(sl->key, k, kn) == 0)
			return sl;
	}
	return NULL;
}

static void index_members(sigma_detector *d, const json_value *v, int depth)
{
	if (depth > 128)
		return;
	if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->len; i++)
			index_members(d, &v->u.items[i], depth + 1);
		return;
	}
	if (v->type != JSON_OBJECT)
		return;
	for (size_t i = 0; i < v->len; i++) {
		const json_member *m = &v->u.members[i];
		key_slot *sl = depth > 0 ? key_lookup(d, m->key, m->key_len, true) : NULL;
		if (sl != NULL && sl->n < MAX_LEAVES) {
			if (sl->n == sl->cap) {
				size_t nc = sl->cap ? sl->cap * 2 : 2;
				const json_value **nv = arena_alloc(d->scratch, nc * sizeof *nv);
				if (nv == NULL)
					continue;
				if (sl->n)
					memcpy(nv, sl->vals, sl->n * sizeof *nv);
				sl->vals = nv;
				sl->cap = nc;
			}
			sl->vals[sl->n++] = &m->value;
		}
		index_members(d, &m->value, depth + 1);
	}
}

/* flatten: true — members named `name` at any depth below the root, from a
 * per-event index of member names built on first use (one walk per event). */
static void walk_anywhere(sigma_detector *d, vvec *vv, const json_value *doc, const char *name)
{
	if (d->keyidx_epoch != d->epoch) {
		if (d->keyidx_cap == 0) {
			d->keyidx_cap = 4096;
			d->keyidx = calloc(d->keyidx_cap, sizeof *d->keyidx);
			if (d->keyidx == NULL) {
				d->keyidx_cap = 0;
				return;
			}
		}
		memset(d->keyidx, 0, d->keyidx_cap * sizeof *d->keyidx);
		d->keyidx_epoch = d->epoch;
		index_members(d, doc, 0);
	}
	key_slot *sl = key_lookup(d, name, strlen(name), false);
	for (size_t i = 0; sl != NULL && i < sl->n; i++)
		emit_leaf(d->scratch, vv, sl->vals[i], 1);
}

static const char *join_path(arena *a, const char *prefix, const char *key, size_t kn)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	char *p = arena_alloc(a, pl + kn + 2);
	if (p == NULL)
		return "";
	if (pl) {
		memcpy(p, prefix, pl);
		p[pl++] = '.';
	}
	memcpy(p + pl, key, kn);
	p[pl + kn] = '\0';
	return p;
}

static void walk_all(arena *a, vvec *vv, const json_value *v, const char *path, int depth)
{
	if (depth > 128)
		return;
	if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->len; i++)
			walk_all(a, vv, &v->u.items[i], path, depth + 1);
	} else if (v->type == JSON_OBJECT) {
		for (size_t i = 0; i < v->len; i++) {
			const json_member *m = &v->u.members[i];
			walk_all(a, vv, &m->value, join_path(a, path, m->key, m->key_len), depth + 1);
		}
	} else if (v->type == JSON_STRING || v->type == JSON_NUMBER || v->type == JSON_TRUE ||
	           v->type == JSON_FALSE) {
		vpush(a, vv, fval_of(v), path ? path : "");
	}
}

static ev_str derived_of(const event *ev, int d)
{
	switch (d) {
	case DER_PROMPT:
		return ev->prompt;
	case DER_SYSTEM:
		return ev->system;
	case DER_RESPONSE:
		return ev->response;
	case DER_TOOLS:
		return ev->tool_calls;
	case DER_CREDENTIAL: /* how the caller authenticated, when it is not SigV4 */
		return (ev->flags & EV_F_BEARER_TOKEN) ? ev_str_from("bedrock-api-key", 15) : EV_STR_NULL;
	default:
		return EV_STR_NULL;
	}
}

static void resolve_field(sigma_detector *d, uint32_t id)
{
	const field_def *f = &d->rs->fields[id];
	arena *a = d->scratch;
	const event *ev = d->ev;
	vvec vv = {NULL, NULL, 0, 0, f->keyword};
	if (f->keyword) {
		for (int k = DER_PROMPT; k <= DER_TOOLS; k++) {
			ev_str s = derived_of(ev, k);
			if (s.p != NULL)
				vpush(a, &vv, (sigma_fval){s.p, s.n, JSON_STRING}, derived_names[k]);
		}
		if (ev->doc != NULL)
			walk_all(a, &vv, ev->doc, NULL, 0);
	} else {
		ev_str s = derived_of(ev, f->derived);
		sigma_fval pv;
		if (f->prompt_kind) {
			if (sprompt_value(&d->sp, d->rs->pm, d->epoch, ev, f->prompt_kind, a, &pv))
				vpush(a, &vv, pv, NULL);
		} else if (f->derived && s.p != NULL) {
			vpush(a, &vv, (sigma_fval){s.p, s.n, JSON_STRING}, NULL);
		} else if (ev->doc != NULL) {
			for (size_t i = 0; i < f->npaths; i++)
				walk_path(a, &vv, ev->doc, f->paths[i], d->rs->strip_spaces, 0);
			if (vv.n == 0 && f->anywhere)
				walk_anywhere(d, &vv, ev->doc, f->name);
		}
	}
	fcache *c = &d->fc[id];
	c->vals = vv.v;
	c->vpaths = vv.paths;
	c->nvals = vv.n;
	c->epoch = d->epoch;
}

static size_t field_values(void *ctx, uint32_t id, const sigma_fval **out)
{
	sigma_detector *d = ctx;
	const fcache *c = &d->fc[id];
	if (c->epoch != d->epoch)
		resolve_field(d, id);
	*out = c->vals;
	return c->nvals;
}

/* ================================================================ evaluation */

static void push_span(sigma_detector *d, uint32_t id, size_t leaf, size_t so, size_t eo)
{
	const field_def *f = &d->rs->fields[id];
	const fcache *c = &d->fc[id];
	if (d->nspans >= SIGMA_MAX_SPANS || leaf >= c->nvals)
		return;
	sigma_span *sp = &d->spans[d->nspans++];
	sp->field = f->keyword ? c->vpaths[leaf] : f->name;
	sp->value = c->vals[leaf].s;
	sp->value_len = c->vals[leaf].n;
	sp->start = so;
	sp->end = eo;
}

static bool eval_alt(sigma_detector *d, const alt *al)
{
	for (size_t i = 0; i < al->n; i++) {
		const item *it = &al->items[i];
		const sigma_fval *v;
		size_t n = field_values(d, it->field, &v), leaf, so, eo;
		if (!sigma_vitem_match(&it->v, v, n, &d->mc, &leaf, &so, &eo))
			return false;
		if (n > 0 && it->v.kind == SIGMA_V_MATCH && !it->v.neq)
			push_span(d, it->field, leaf, so, eo);
	}
	return true;
}

typedef struct evalctx {
	sigma_detector *d;
	const sigma_rule *r;
	uint8_t *cache;
} evalctx;

static bool eval_sel(evalctx *ec, uint32_t idx)
{
	if (ec->cache[idx])
		return ec->cache[idx] == 1;
	const sel *s = &ec->r->sels[idx];
	size_t mark = ec->d->nspans;
	bool r = false;
	for (size_t i = 0; i < s->n && !r; i++) {
		r = eval_alt(ec->d, &s->alts[i]);
		if (!r)
			ec->d->nspans = mark;
	}
	ec->cache[idx] = r ? 1 : 2;
	return r;
}

static bool eval_node(evalctx *ec, const sigma_cond *c)
{
	size_t mark = ec->d->nspans;
	bool r;
	switch (c->op) {
	case SIGMA_C_SEL:
		r = eval_sel(ec, c->sel);
		break;
	case SIGMA_C_NOT:
		r = !eval_node(ec, c->kids[0]);
		ec->d->nspans = mark;
		break;
	case SIGMA_C_AND:
	case SIGMA_C_ALL_OF:
		r = true;
		for (size_t i = 0; i < c->n && r; i++)
			r = eval_node(ec, c->kids[i]);
		break;
	default:
		r = false;
		for (size_t i = 0; i < c->n && !r; i++)
			r = eval_node(ec, c->kids[i]);
		break;
	}
	if (!r)
		ec->d->nspans = mark;
	return r;
}

static bool overlap_holds(sigma_detector *d, const sigma_rule *r)
{
	const sigma_fval *a, *b;
	size_t na = field_values(d, r->overlap_a, &a), nb = field_values(d, r->overlap_b, &b);
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (a[i].s && b[j].s && sigma_ext_overlap(a[i].s, a[i].n, b[j].s, b[j].n, r->ext.overlap_min))
				return true;
	return false;
}

/* First text value of a field in the current event (NULL if none). */
static const char *first_text(sigma_detector *d, uint32_t id, size_t *n)
{
	const sigma_fval *v;
	size_t k = field_values(d, id, &v);
	for (size_t i = 0; i < k; i++)
		if (v[i].s != NULL) {
			*n = v[i].n;
			return v[i].s;
		}
	*n = 0;
	return NULL;
}

/* Values of fields ids[0..n) joined with \x1f (bounded). */
static char *join_values(sigma_detector *d, const uint32_t *ids, size_t n)
{
	buf b;
	buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *t = first_text(d, ids[i], &len);
		if ((i && buf_putc(&b, '\x1f') != LT_OK) || sigma_corr_key_append(&b, t, len) != LT_OK)
			break;
	}
	char *out = arena_strndup(d->scratch, buf_cstr(&b), b.len);
	buf_free(&b);
	return out;
}

/* "field=value, field=value" of correlation c for its reference k. */
static const char *group_key(sigma_detector *d, const sigma_rule *c, size_t k)
{
	buf b;
	buf_init(&b, 64 * 1024);
	size_t ng = sigma_corr_ngroup(c->corr);
	for (size_t g = 0; g < ng; g++) {
		size_t n;
		const char *t = first_text(d, c->group_fields[k][g], &n);
		if (buf_printf(&b, "%s%s=", g ? ", " : "", sigma_corr_group_field(c->corr, g, NULL)) != LT_OK ||
		    sigma_corr_key_append(&b, t, n) != LT_OK)
			break;
	}
	const char *key = arena_strndup(d->scratch, buf_cstr(&b), b.len);
	buf_free(&b);
	return key ? key : "";
}

/* True when one of the rule's filters matches (the rule's spans are kept). */
static bool filtered_out(sigma_detector *d, const sigma_rule *r)
{
	for (size_t i = 0; i < r->nfilters; i++) {
		const sigma_rule *f = r->filters[i];
		evalctx fc = {d, f, d->sel_cache + d->rs->max_sels};
		memset(fc.cache, 0, f->nsels);
		size_t mark = d->nspans;
		bool hit = f->state == SIGMA_LOADED && eval_node(&fc, f->cond);
		d->nspans = mark;
		if (hit)
			return true;
	}
	return false;
}

/* ================================================================ detection stage */

/* The group key and value of every correlation the matching rule r feeds. */
static lt_status record_feeds(sigma_detector *d, const sigma_rule *r, det_rec *rec)
{
	if (!grow((void **)&d->out_feeds, &d->cout_feeds, d->nout_feeds + r->nfeeds, sizeof *d->out_feeds))
		return LT_EFATAL;
	rec->feed0 = (uint32_t)d->nout_feeds;
	for (size_t i = 0; i < r->nfeeds; i++) {
		const sigma_rule *c = r->feeds[i].corr;
		size_t k = r->feeds[i].ref;
		det_feed *fd = &d->out_feeds[d->nout_feeds++];
		*fd = (det_feed){"", NULL, 0};
		if (c->state != SIGMA_LOADED)
			continue;
		if (sigma_corr_value_field(c->corr) != NULL)
			fd->value = first_text(d, c->value_field[k], &fd->value_len);
		fd->group = group_key(d, c, k);
	}
	return LT_OK;
}

/* Evaluates rule r on the current event; keeps a record when the ordered
 * stage has something to do: report it, feed first_seen or correlations.
 * first_seen decides with earlier events, so its filters are evaluated here
 * whatever it will say, and both possible errors are kept. */
static lt_status detect_rule(sigma_detector *d, const sigma_rule *r, uint32_t evaluated)
{
	d->nspans = 0;
	d->mc.error = NULL;
	evalctx ec = {d, r, d->sel_cache};
	memset(d->sel_cache, 0, r->nsels);
	bool m = eval_node(&ec, r->cond);
	if (m && r->ext.overlap_field != NULL)
		m = overlap_holds(d, r);
	if (!m && d->mc.error == NULL)
		return LT_OK; /* the common case: nothing to record */
	det_rec rec = {r->index, evaluated, 0, 0, 0, m, false, d->mc.error, NULL, NULL, NULL};
	if (m && r->fs != NULL) {
		rec.fs_group = join_values(d, r->fs_group_ids, r->ext.fs_ngroup);
		rec.fs_value = join_values(d, r->fs_field_ids, r->ext.fs_nfields);
		rec.filtered = filtered_out(d, r);
		rec.error_seen = d->mc.error;
	} else if (m) {
		rec.match = !filtered_out(d, r);
		rec.error = d->mc.error;
	}
	if (!rec.match && rec.error == NULL)
		return LT_OK;
	if (!grow((void **)&d->out_spans, &d->cout_spans, d->nout_spans + d->nspans, sizeof *d->out_spans))
		return LT_EFATAL;
	rec.span0 = (uint32_t)d->nout_spans;
	rec.nspans = (uint32_t)d->nspans;
	memcpy(d->out_spans + d->nout_spans, d->spans, d->nspans * sizeof *d->spans);
	d->nout_spans += d->nspans;
	if (rec.match && !rec.filtered && r->nfeeds > 0 && record_feeds(d, r, &rec) != LT_OK)
		return LT_EFATAL;
	d->recs[d->res.nrecs++] = rec;
	return LT_OK;
}

static int mark_candidate(void *ctx, uint32_t id, size_t end)
{
	(void)end;
	sigma_detector *d = ctx;
	if (d->cand_epoch[id] != d->epoch) {
		d->cand_epoch[id] = d->epoch;
		d->cands[d->ncands++] = id;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void new_epoch(sigma_detector *d)
{
	if (++d->epoch == 0) {
		memset(d->cand_epoch, 0, (d->rs->n + 1) * sizeof *d->cand_epoch);
		for (size_t i = 0; i < d->rs->nfields; i++)
			d->fc[i].epoch = 0;
		d->keyidx_epoch = 0;
		d->epoch = 1;
	}
	arena_reset(d->scratch);
	d->ncands = 0;
	d->nout_spans = 0;
	d->nout_feeds = 0;
	d->res = (sigma_detection){d->rs, 0, 0, 0, 0, d->recs, d->out_spans, d->out_feeds};
}

static void scan_prefilter(sigma_detector *d)
{
	const sigma_ruleset *rs = d->rs;
	size_t slot = rs->generic ? 0 : (size_t)d->ev->source;
	if (slot >= EV_SRC_COUNT)
		return;
	for (size_t i = 0; i < rs->nfields; i++) {
		const field_def *f = &rs->fields[i];
		if (f->ac[slot] == NULL)
			continue;
		const sigma_fval *v;
		size_t n = field_values(d, (uint32_t)i, &v);
		for (size_t k = 0; k < n; k++)
			if (v[k].s != NULL)
				sigma_ac_scan(f->ac[slot], v[k].s, v[k].n, mark_candidate, d);
	}
	if (d->ncands > 1)
		lt_sort(d->cands, d->ncands, sizeof *d->cands, cmp_u32);
}

sigma_detector *sigma_detector_new(const sigma_ruleset *rs)
{
	if (rs == NULL || !rs->compiled)
		return NULL;
	sigma_detector *d = calloc(1, sizeof *d);
	if (d == NULL)
		return NULL;
	d->rs = rs;
	d->scratch = arena_new(0, SCRATCH_CAP);
	d->fc = calloc(rs->nfields + 1, sizeof *d->fc);
	d->cand_epoch = calloc(rs->n + 1, sizeof *d->cand_epoch);
	d->cands = calloc(rs->n + 1, sizeof *d->cands);
	d->recs = calloc(rs->n + 1, sizeof *d->recs);
	d->sel_cache = calloc(2 * rs->max_sels, 1);
	d->md = pcre2_match_data_create(32, NULL);
	d->mctx = pcre2_match_context_create(NULL);
	d->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (d->scratch == NULL || d->fc == NULL || d->cand_epoch == NULL || d->cands == NULL ||
	    d->recs == NULL || d->sel_cache == NULL || d->md == NULL || d->mctx == NULL ||
	    !grow((void **)&d->out_spans, &d->cout_spans, SIGMA_MAX_SPANS, sizeof *d->out_spans)) {
		sigma_detector_free(d);
		return NULL;
	}
	pcre2_set_match_limit(d->mctx, SIGMA_RE_MATCH_LIMIT);
	pcre2_set_depth_limit(d->mctx, SIGMA_RE_DEPTH_LIMIT);
	if (d->jit != NULL)
		pcre2_jit_stack_assign(d->mctx, NULL, d->jit);
	return d;
}

void sigma_detector_free(sigma_detector *d)
{
	if (d == NULL)
		return;
	free(d->fc);
	free(d->cand_epoch);
	free(d->cands);
	free(d->recs);
	free(d->sel_cache);
	free(d->keyidx);
	sprompt_ctx_free(&d->sp);
	free(d->out_spans);
	free(d->out_feeds);
	pcre2_match_data_free(d->md);
	pcre2_match_context_free(d->mctx);
	pcre2_jit_stack_free(d->jit);
	arena_free(d->scratch);
	free(d);
}

lt_status sigma_detect(sigma_detector *d, const event *ev, const sigma_detection **out)
{
	const sigma_ruleset *rs = d->rs;
	*out = NULL;
	new_epoch(d);
	d->ev = ev;
	d->mc = (sigma_mctx){d->md, d->mctx, field_values, d, NULL};
	scan_prefilter(d);
	lt_status st = LT_OK;
	uint32_t evaluated = 0;
	size_t ci = 0, ai = 0;
	while (st == LT_OK && (ci < d->ncands || ai < rs->nalways)) {
		uint32_t idx;
		if (ai >= rs->nalways || (ci < d->ncands && d->cands[ci] < rs->always[ai]))
			idx = d->cands[ci++];
		else
			idx = rs->always[ai++];
		const sigma_rule *r = rs->rules[idx];
		if (!rs->generic && r->source != ev->source)
			continue;
		st = detect_rule(d, r, ++evaluated);
	}
	d->ev = NULL;
	if (st != LT_OK)
		return st;
	d->res.evaluations = evaluated;
	d->res.nspans = (uint32_t)d->nout_spans;
	d->res.nfeeds = (uint32_t)d->nout_feeds;
	d->res.spans = d->out_spans; /* the vectors may have moved */
	d->res.feeds = d->out_feeds;
	*out = &d->res;
	return LT_OK;
}

/* ---- storing a detection: one block, laid out by the same walk that measures it */

typedef struct packer {
	char *mem; /* NULL: measure only */
	size_t off;
} packer;

static void *pk_take(packer *p, size_t n, size_t align)
{
	p->off = (p->off + align - 1) & ~(align - 1);
	void *at = p->mem != NULL && n > 0 ? p->mem + p->off : NULL;
	p->off += n;
	return at;
}

static const char *pk_str(packer *p, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	char *at = pk_take(p, n, 1);
	if (at != NULL)
		memcpy(at, s, n);
	return at;
}

/* Strings that may live in detector scratch (span fields of keywords, keys,
 * the prompt classifier's values) are copied; other values and errors point
 * into the event or static text. */
static const sigma_detection *pack(const sigma_detection *det, packer *p)
{
	sigma_detection *out = pk_take(p, sizeof *out, _Alignof(sigma_detection));
	det_rec *recs = pk_take(p, det->nrecs * sizeof *recs, _Alignof(det_rec));
	sigma_span *spans = pk_take(p, det->nspans * sizeof *spans, _Alignof(sigma_span));
	det_feed *feeds = pk_take(p, det->nfeeds * sizeof *feeds, _Alignof(det_feed));
	if (out != NULL)
		*out = (sigma_detection){det->rs,     det->nrecs, det->evaluations, det->nspans,
		                         det->nfeeds, recs,       spans,            feeds};
	for (uint32_t i = 0; i < det->nrecs; i++) {
		const char *g = pk_str(p, det->recs[i].fs_group), *v = pk_str(p, det->recs[i].fs_value);
		if (recs != NULL) {
			recs[i] = det->recs[i];
			recs[i].fs_group = g;
			recs[i].fs_value = v;
		}
	}
	for (uint32_t i = 0; i < det->nspans; i++) {
		const char *f = pk_str(p, det->spans[i].field);
		/* the prompt classifier's values live in detector scratch: copy them too */
		const char *v = det->spans[i].value;
		if (det->spans[i].field != NULL && sprompt_field_kind(det->spans[i].field)) {
			char *at = pk_take(p, det->spans[i].value_len, 1);
			if (at != NULL)
				memcpy(at, v, det->spans[i].value_len);
			v = at;
		}
		if (spans != NULL) {
			spans[i] = det->spans[i];
			spans[i].field = f;
			spans[i].value = v;
		}
	}
	for (uint32_t i = 0; i < det->nfeeds; i++) {
		const char *g = pk_str(p, det->feeds[i].group);
		if (feeds != NULL) {
			feeds[i] = det->feeds[i];
			feeds[i].group = g;
		}
	}
	return out;
}

size_t sigma_detection_size(const sigma_detection *det)
{
	packer p = {NULL, 0};
	(void)pack(det, &p);
	return p.off;
}

const sigma_detection *sigma_detection_copy(const sigma_detection *det, void *mem)
{
	packer p = {mem, 0};
	return pack(det, &p);
}

bool sigma_detection_empty(const sigma_detection *det)
{
	return det->nrecs == 0;
}

/* ---- stored detections (the case keeps them: analyze detects once)
 *
 * "D" | version 1 | varint nrecs, evaluations, nspans, nfeeds
 * | per record: varint rule, evaluated, span0, nspans, feed0 | byte flags
 *   (1 match, 2 filtered) | opt error, error_seen, fs_group, fs_value
 * | per span: opt field | opt value | varint start, end
 * | per feed: opt group | opt value
 * where opt is a varint tag: 0 for NULL; 2 * (length + 1), then the bytes;
 * or 2 * k + 1: the same bytes as the k-th string written before it in this
 * detection (group keys repeat once per correlation a rule feeds). Every
 * string is copied: a stored detection points into nothing but itself. */

#define DET_MAGIC 'D'
#define DET_VERSION 1
#define DET_STRTAB 64 /* strings a detection can refer back to */

typedef struct det_writer {
	buf *b;
	const char *s[DET_STRTAB];
	size_t n[DET_STRTAB];
	size_t used;
} det_writer;

static lt_status put_opt(det_writer *w, const char *s, size_t n)
{
	if (s == NULL)
		return varint_put(w->b, 0);
	for (size_t k = 0; k < w->used; k++)
		if (w->n[k] == n && memcmp(w->s[k], s, n) == 0)
			return varint_put(w->b, 2 * (uint64_t)k + 1);
	if (w->used < DET_STRTAB) {
		w->s[w->used] = s;
		w->n[w->used++] = n;
	}
	if (varint_put(w->b, 2 * ((uint64_t)n + 1)) != LT_OK)
		return LT_EFATAL;
	return buf_append(w->b, s, n);
}

static lt_status put_opt_str(det_writer *w, const char *s)
{
	return put_opt(w, s, s != NULL ? strlen(s) : 0);
}

/* Spans the ordered stage can report: a hidden rule (one a correlation
 * counts) reports only through its correlation, so its spans are not kept. */
static uint32_t kept_spans(const sigma_detection *det, const det_rec *r)
{
	return det->rs->rules[r->rule]->hidden ? 0 : r->nspans;
}

static lt_status encode_rec(det_writer *w, const det_rec *r, uint32_t span0, uint32_t nspans)
{
	uint64_t v[] = {r->rule, r->evaluated, span0, nspans, r->feed0};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (varint_put(w->b, v[i]) != LT_OK)
			return LT_EFATAL;
	char flags = (char)((r->match ? 1 : 0) | (r->filtered ? 2 : 0));
	if (buf_putc(w->b, flags) != LT_OK || put_opt_str(w, r->error) != LT_OK ||
	    put_opt_str(w, r->error_seen) != LT_OK || put_opt_str(w, r->fs_group) != LT_OK)
		return LT_EFATAL;
	return put_opt_str(w, r->fs_value);
}

static lt_status encode_span(det_writer *w, const sigma_span *sp)
{
	lt_status st = put_opt_str(w, sp->field);
	if (st == LT_OK)
		st = put_opt(w, sp->value, sp->value_len);
	if (st == LT_OK)
		st = varint_put(w->b, sp->start);
	return st == LT_OK ? varint_put(w->b, sp->end) : st;
}

lt_status sigma_detection_encode(const sigma_detection *det, buf *out)
{
	const char head[2] = {DET_MAGIC, DET_VERSION};
	det_writer w = {.b = out};
	uint32_t nspans = 0;
	for (uint32_t i = 0; i < det->nrecs; i++)
		nspans += kept_spans(det, &det->recs[i]);
	lt_status st = buf_append(out, head, sizeof head);
	uint64_t counts[] = {det->nrecs, det->evaluations, nspans, det->nfeeds};
	for (size_t i = 0; st == LT_OK && i < sizeof counts / sizeof counts[0]; i++)
		st = varint_put(out, counts[i]);
	uint32_t span0 = 0;
	for (uint32_t i = 0; st == LT_OK && i < det->nrecs; i++) {
		uint32_t k = kept_spans(det, &det->recs[i]);
		st = encode_rec(&w, &det->recs[i], span0, k);
		span0 += k;
	}
	for (uint32_t i = 0; st == LT_OK && i < det->nrecs; i++)
		for (uint32_t k = 0; st == LT_OK && k < kept_spans(det, &det->recs[i]); k++)
			st = encode_span(&w, &det->spans[det->recs[i].span0 + k]);
	for (uint32_t i = 0; st == LT_OK && i < det->nfeeds; i++)
		if ((st = put_opt_str(&w, det->feeds[i].group)) == LT_OK)
			st = put_opt(&w, det->feeds[i].value, det->feeds[i].value_len);
	return st == LT_OK ? LT_OK : LT_EFATAL;
}

typedef struct det_reader {
	const unsigned char *p;
	size_t n, pos;
	arena *a;
	bool bad, oom;
	const char *s[DET_STRTAB]; /* strings read so far, for back references */
	size_t sn[DET_STRTAB];
	size_t used;
} det_reader;

static uint64_t rd_num(det_reader *r, uint64_t max)
{
	uint64_t v = 0;
	if (!r->bad && (!varint_get(r->p, r->n, &r->pos, &v) || v > max))
		r->bad = true;
	return r->bad ? 0 : v;
}

/* An optional string (copied NUL-terminated into the arena, or one read
 * before it); *len its bytes. */
static const char *rd_opt(det_reader *r, size_t *len)
{
	uint64_t tag = rd_num(r, UINT64_MAX);
	if (len != NULL)
		*len = 0;
	if (r->bad || tag == 0)
		return NULL;
	if (tag & 1) {
		uint64_t k = tag >> 1;
		if (k >= r->used) {
			r->bad = true;
			return NULL;
		}
		if (len != NULL)
			*len = r->sn[k];
		return r->s[k];
	}
	uint64_t n = (tag >> 1) - 1;
	if (n > r->n - r->pos) {
		r->bad = true;
		return NULL;
	}
	char *s = arena_strndup(r->a, (const char *)r->p + r->pos, (size_t)n);
	if (s == NULL) {
		r->oom = r->bad = true;
		return NULL;
	}
	r->pos += (size_t)n;
	if (r->used < DET_STRTAB) {
		r->s[r->used] = s;
		r->sn[r->used++] = (size_t)n;
	}
	if (len != NULL)
		*len = (size_t)n;
	return s;
}

static void decode_rec(det_reader *r, const sigma_ruleset *rs, det_rec *rec)
{
	rec->rule = (uint32_t)rd_num(r, rs->n ? rs->n - 1 : 0);
	rec->evaluated = (uint32_t)rd_num(r, UINT32_MAX);
	rec->span0 = (uint32_t)rd_num(r, UINT32_MAX);
	rec->nspans = (uint32_t)rd_num(r, UINT32_MAX);
	rec->feed0 = (uint32_t)rd_num(r, UINT32_MAX);
	unsigned flags = 0;
	if (r->pos < r->n)
		flags = r->p[r->pos++];
	else
		r->bad = true;
	rec->match = (flags & 1) != 0;
	rec->filtered = (flags & 2) != 0;
	rec->error = rd_opt(r, NULL);
	rec->error_seen = rd_opt(r, NULL);
	rec->fs_group = rd_opt(r, NULL);
	rec->fs_value = rd_opt(r, NULL);
}

/* The references between the parts hold: spans and feeds of each record
 * exist, and its rule is one of rs (same digest, so the same feeds). */
static bool recs_consistent(const sigma_ruleset *rs, const sigma_detection *d)
{
	for (uint32_t i = 0; i < d->nrecs; i++) {
		const det_rec *rec = &d->recs[i];
		const sigma_rule *rule = rs->rules[rec->rule];
		if ((uint64_t)rec->span0 + rec->nspans > d->nspans || rec->nspans > SIGMA_MAX_SPANS)
			return false;
		if (rec->match && (uint64_t)rec->feed0 + rule->nfeeds > d->nfeeds)
			return false;
	}
	return true;
}

lt_status sigma_detection_decode(const sigma_ruleset *rs, const void *data, size_t n, arena *a,
                                 const sigma_detection **out, lt_error *err)
{
	*out = NULL;
	det_reader r = {.p = data, .n = n, .pos = 2, .a = a};
	if (rs->compiled && n == 0) { /* nothing matched: the event is still counted */
		sigma_detection *d = arena_calloc(a, sizeof *d);
		if (d == NULL)
			return oom(err);
		d->rs = rs;
		*out = d;
		return LT_OK;
	}
	if (!rs->compiled || n < 2 || r.p[0] != DET_MAGIC || r.p[1] != DET_VERSION)
		return lt_error_set(err, LT_EFILE, "stored detection: not of this format (%zu bytes)", n);
	sigma_detection *d = arena_calloc(a, sizeof *d);
	if (d == NULL)
		return oom(err);
	d->rs = rs;
	d->nrecs = (uint32_t)rd_num(&r, rs->n);
	d->evaluations = (uint32_t)rd_num(&r, UINT32_MAX);
	d->nspans = (uint32_t)rd_num(&r, n);
	d->nfeeds = (uint32_t)rd_num(&r, n);
	det_rec *recs = r.bad ? NULL : arena_calloc(r.a, (d->nrecs + 1) * sizeof *recs);
	sigma_span *spans = r.bad ? NULL : arena_calloc(r.a, (d->nspans + 1) * sizeof *spans);
	det_feed *feeds = r.bad ? NULL : arena_calloc(r.a, (d->nfeeds + 1) * sizeof *feeds);
	if (!r.bad && (recs == NULL || spans == NULL || feeds == NULL))
		return oom(err);
	for (uint32_t i = 0; !r.bad && i < d->nrecs; i++)
		decode_rec(&r, rs, &recs[i]);
	for (uint32_t i = 0; !r.bad && i < d->nspans; i++) {
		spans[i].field = rd_opt(&r, NULL);
		spans[i].value = rd_opt(&r, &spans[i].value_len);
		spans[i].start = (size_t)rd_num(&r, spans[i].value_len);
		spans[i].end = (size_t)rd_num(&r, spans[i].value_len);
	}
	for (uint32_t i = 0; !r.bad && i < d->nfeeds; i++) {
		feeds[i].group = rd_opt(&r, NULL);
		feeds[i].value = rd_opt(&r, &feeds[i].value_len);
	}
	if (r.oom)
		return oom(err);
	d->recs = recs;
	d->spans = spans;
	d->feeds = feeds;
	if (r.bad || r.pos != n || !recs_consistent(rs, d))
		return lt_error_set(err, LT_EFILE, "stored detection: damaged (%zu bytes, stopped at %zu)", n, r.pos);
	*out = d;
	return LT_OK;
}

/* ================================================================ ordered stage */

/* Feeds the correlations of matching rule r, with the keys detection found. */
static int feed_correlations(const sigma_rule *r, const event *ev, const det_feed *feeds,
                             ruleset_match_fn fn, void *ctx)
{
	for (size_t i = 0; i < r->nfeeds; i++) {
		const sigma_rule *c = r->feeds[i].corr;
		if (c->state != SIGMA_LOADED)
			continue;
		sigma_corr_fired fired;
		if (sigma_corr_feed(c->corr, r->feeds[i].ref, feeds[i].group, feeds[i].value,
		                    feeds[i].value_len, ev, &fired)) {
			sigma_hit hit = {c, NULL, 0, NULL, &fired};
			if (fn(ctx, &hit))
				return 1;
		}
	}
	return 0;
}

/* Reports the fixed windows of "fewer than" correlations that closed before
 * now (SIGMA_CORR_END: all). Returns nonzero when fn asked to stop. */
static int close_windows(sigma_ruleset *rs, int64_t now, ruleset_match_fn fn, void *ctx)
{
	for (size_t i = 0; i < rs->nclosing; i++) {
		const sigma_rule *c = rs->rules[rs->closing[i]];
		sigma_corr_fired fired;
		while (sigma_corr_expire(c->corr, now, &fired)) {
			sigma_hit hit = {c, NULL, 0, NULL, &fired};
			if (fn(ctx, &hit))
				return 1;
		}
	}
	return 0;
}

lt_status ruleset_finish(sigma_ruleset *rs, ruleset_match_fn fn, void *ctx)
{
	if (!rs->compiled)
		return LT_EFATAL;
	(void)close_windows(rs, SIGMA_CORR_END, fn, ctx);
	return LT_OK;
}

static const sigma_span no_spans[1];

/* One recorded rule: first_seen decides, then the hit and the correlations.
 * Returns nonzero when fn asked to stop. */
static int apply_record(sigma_ruleset *rs, const event *ev, const sigma_detection *det,
                        const det_rec *rec, ruleset_match_fn fn, void *ctx)
{
	const sigma_rule *r = rs->rules[rec->rule];
	bool m = rec->match;
	const char *error = rec->error;
	if (m && r->fs != NULL) {
		m = rec->fs_group != NULL && rec->fs_value != NULL &&
		    sigma_fs_feed(r->fs, rec->fs_group, rec->fs_value, ev->time_us, r->ext.fs_baseline_us,
		                   r->ext.fs_from_rule);
		if (m) {
			m = !rec->filtered;
			error = rec->error_seen;
		}
	}
	sigma_hit hit = {r, rec->nspans ? det->spans + rec->span0 : no_spans, rec->nspans, error, NULL};
	if (((m && !r->hidden) || error != NULL) && fn(ctx, &hit))
		return 1;
	return m && r->nfeeds > 0 && feed_correlations(r, ev, det->feeds + rec->feed0, fn, ctx);
}

lt_status ruleset_match_detected(sigma_ruleset *rs, const event *ev, const sigma_detection *det,
                                 ruleset_match_fn fn, void *ctx)
{
	if (!rs->compiled || det == NULL || det->rs != rs)
		return LT_EFATAL;
	if (rs->nclosing > 0 && close_windows(rs, ev->time_us, fn, ctx))
		return LT_OK;
	rs->events_matched++;
	uint64_t evaluated = det->evaluations;
	for (uint32_t i = 0; i < det->nrecs; i++)
		if (apply_record(rs, ev, det, &det->recs[i], fn, ctx)) {
			evaluated = det->recs[i].evaluated; /* the rules after it were never looked at */
			break;
		}
	rs->rules_evaluated += evaluated;
	return LT_OK;
}

lt_status ruleset_learn_first_seen(sigma_ruleset *rs, const event *ev, const sigma_detection *det)
{
	if (!rs->compiled || (det != NULL && det->rs != rs))
		return LT_EFATAL;
	if (det == NULL) {
		if (rs->own == NULL && (rs->own = sigma_detector_new(rs)) == NULL)
			return LT_EFATAL;
		lt_status st = sigma_detect(rs->own, ev, &det);
		if (st != LT_OK)
			return st;
	}
	for (uint32_t i = 0; i < det->nrecs; i++) {
		const det_rec *rec = &det->recs[i];
		const sigma_rule *r = rs->rules[rec->rule];
		if (rec->match && r->fs != NULL && rec->fs_group != NULL && rec->fs_value != NULL)
			(void)sigma_fs_feed(r->fs, rec->fs_group, rec->fs_value, ev->time_us, r->ext.fs_baseline_us,
			                    r->ext.fs_from_rule);
	}
	return LT_OK;
}

lt_status ruleset_match(sigma_ruleset *rs, const event *ev, ruleset_match_fn fn, void *ctx)
{
	if (!rs->compiled)
		return LT_EFATAL;
	if (rs->own == NULL && (rs->own = sigma_detector_new(rs)) == NULL)
		return LT_EFATAL;
	const sigma_detection *det;
	lt_status st = sigma_detect(rs->own, ev, &det);
	return st == LT_OK ? ruleset_match_detected(rs, ev, det, fn, ctx) : st;
}

/* ================================================================ accessors */

size_t ruleset_count(const sigma_ruleset *rs)
{
	return rs->n;
}

const sigma_rule *ruleset_rule(const sigma_ruleset *rs, size_t i)
{
	return i < rs->n ? rs->rules[i] : NULL;
}

const sigma_rule *ruleset_find(const sigma_ruleset *rs, const char *id_or_name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i]->id, id_or_name) == 0)
			return rs->rules[i];
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->name[0] && strcmp(rs->rules[i]->name, id_or_name) == 0)
			return rs->rules[i];
	return NULL;
}

void ruleset_get_stats(const sigma_ruleset *rs, ruleset_stats *st)
{
	memset(st, 0, sizeof *st);
	st->rules = rs->n;
	for (size_t i = 0; i < rs->n; i++) {
		const sigma_rule *r = rs->rules[i];
		st->loaded += r->state == SIGMA_LOADED;
		st->unsupported += r->state == SIGMA_UNSUPPORTED;
		st->errors += r->state == SIGMA_ERROR;
		st->detection += r->kind == SIGMA_KIND_DETECTION;
		st->filters += r->kind == SIGMA_KIND_FILTER;
		st->correlations += r->kind == SIGMA_KIND_CORRELATION;
		if (r->kind == SIGMA_KIND_DETECTION && r->state == SIGMA_LOADED && rs->compiled) {
			st->always += r->always;
			st->not_applicable += r->inert;
			st->prefiltered += !r->always && !r->inert;
		}
	}
	st->patterns = rs->npatterns;
	st->regexes = rs->nre;
	st->events = rs->events_matched;
	st->evaluations = rs->rules_evaluated;
}

const char *sigma_rule_id(const sigma_rule *r) { return r->id; }
const char *sigma_rule_name(const sigma_rule *r) { return r->name; }
const char *sigma_rule_title(const sigma_rule *r) { return r->title; }
const char *sigma_rule_level(const sigma_rule *r) { return r->level; }
const char *sigma_rule_status(const sigma_rule *r) { return r->status; }
const char *sigma_rule_description(const sigma_rule *r) { return r->description; }
const char *sigma_rule_file(const sigma_rule *r) { return r->file; }
unsigned sigma_rule_line(const sigma_rule *r) { return r->line; }
size_t sigma_rule_ntags(const sigma_rule *r) { return r->tags.n; }
const char *sigma_rule_tag(const sigma_rule *r, size_t i) { return i < r->tags.n ? r->tags.v[i] : ""; }
size_t sigma_rule_nreferences(const sigma_rule *r) { return r->refs.n; }
const char *sigma_rule_reference(const sigma_rule *r, size_t i) { return i < r->refs.n ? r->refs.v[i] : ""; }
size_t sigma_rule_nfalsepositives(const sigma_rule *r) { return r->fps.n; }
const char *sigma_rule_falsepositive(const sigma_rule *r, size_t i) { return i < r->fps.n ? r->fps.v[i] : ""; }
sigma_kind sigma_rule_kind(const sigma_rule *r) { return r->kind; }
sigma_state sigma_rule_state(const sigma_rule *r) { return r->state; }
const char *sigma_rule_reason(const sigma_rule *r) { return r->reason; }
unsigned sigma_rule_err_line(const sigma_rule *r) { return r->err_line; }
ev_source sigma_rule_source(const sigma_rule *r) { return r->source; }
const char *sigma_rule_logsource_text(const sigma_rule *r) { return r->ls_text; }

bool sigma_rule_redact(const sigma_rule *r)
{
	return r->ext.redact;
}

uint64_t sigma_rule_corr_dropped(const sigma_rule *r)
{
	return r->corr != NULL ? sigma_corr_dropped(r->corr) : 0;
}

uint64_t sigma_rule_corr_unlisted(const sigma_rule *r)
{
	return r->corr != NULL ? sigma_corr_unlisted(r->corr) : 0;
}

uint64_t sigma_rule_corr_undecided(const sigma_rule *r)
{
	return r->corr != NULL ? sigma_corr_undecided(r->corr) : 0;
}

bool sigma_rule_extension(const sigma_rule *r, const char *name)
{
	return r->doc != NULL && sigma_yaml_get(sigma_yaml_get(r->doc, "llmtrail"), name) != NULL;
}

const char *sigma_state_name(sigma_state s)
{
	return s == SIGMA_LOADED ? "loaded" : s == SIGMA_UNSUPPORTED ? "unsupported" : "error";
}

/*
 * sigma_yaml.c — YAML documents to sigma_ynode trees (see sigma_yaml.h).
 *
 * libyaml's document loader (yaml_parser_load) builds each document with
 * aliases already resolved as shared node indices; we copy it into arena nodes
 * that carry line/column and the scalar style, because rule errors must name
 * a line and because `null` written plainly differs from 'null' in quotes.
 * Copying expands aliases, so the node count is capped (a "billion laughs"
 * file becomes an error) and so is the nesting depth (recursion is bounded).
 * The libyaml document is deleted right after the copy; nothing of libyaml
 * outlives sigma_yaml_load.
 */
#include "analyzers/sigma/sigma_yaml.h"

#include <string.h>
#include <yaml.h>

typedef struct loader {
	arena *a;
	yaml_document_t *doc;
	size_t nodes;
	lt_error *err;
} loader;

static lt_status oom(lt_error *err)
{
	return lt_error_set(err, LT_EFATAL, "out of memory while loading YAML");
}

static lt_status copy_node(loader *l, yaml_node_t *yn, int depth, sigma_ynode **out);

static lt_status copy_scalar(loader *l, yaml_node_t *yn, sigma_ynode *n)
{
	n->type = SIGMA_Y_SCALAR;
	n->quoted = yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	            yn->data.scalar.style != YAML_ANY_SCALAR_STYLE;
	n->n = yn->data.scalar.length;
	char *s = arena_strndup(l->a, (const char *)yn->data.scalar.value, n->n);
	if (s == NULL)
		return oom(l->err);
	n->s = s;
	return LT_OK;
}

static lt_status copy_seq(loader *l, yaml_node_t *yn, int depth, sigma_ynode *n)
{
	yaml_node_item_t *it = yn->data.sequence.items.start;
	size_t cnt = (size_t)(yn->data.sequence.items.top - it);
	n->type = SIGMA_Y_SEQ;
	n->items = cnt ? arena_calloc(l->a, cnt * sizeof *n->items) : NULL;
	if (cnt && n->items == NULL)
		return oom(l->err);
	for (size_t i = 0; i < cnt; i++) {
		lt_status st = copy_node(l, yaml_document_get_node(l->doc, it[i]), depth + 1, &n->items[i]);
		if (st != LT_OK)
			return st;
	}
	n->len = cnt;
	return LT_OK;
}

static lt_status copy_map(loader *l, yaml_node_t *yn, int depth, sigma_ynode *n)
{
	yaml_node_pair_t *p = yn->data.mapping.pairs.start;
	size_t cnt = (size_t)(yn->data.mapping.pairs.top - p);
	n->type = SIGMA_Y_MAP;
	n->pairs = cnt ? arena_calloc(l->a, cnt * sizeof *n->pairs) : NULL;
	if (cnt && n->pairs == NULL)
		return oom(l->err);
	for (size_t i = 0; i < cnt; i++) {
		lt_status st = copy_node(l, yaml_document_get_node(l->doc, p[i].key), depth + 1,
		                         &n->pairs[i].key);
		if (st != LT_OK)
			return st;
		if (n->pairs[i].key->type != SIGMA_Y_SCALAR) {
			lt_error_where(l->err, NULL, NULL, n->pairs[i].key->line);
			return lt_error_set(l->err, LT_EFILE, "mapping key is not a scalar");
		}
		st = copy_node(l, yaml_document_get_node(l->doc, p[i].value), depth + 1,
		               &n->pairs[i].value);
		if (st != LT_OK)
			return st;
	}
	n->len = cnt;
	return LT_OK;
}

static lt_status copy_node(loader *l, yaml_node_t *yn, int depth, sigma_ynode **out)
{
	if (yn == NULL)
		return lt_error_set(l->err, LT_EFILE, "broken YAML node reference");
	if (depth > SIGMA_YAML_MAX_DEPTH || ++l->nodes > SIGMA_YAML_MAX_NODES) {
		lt_error_where(l->err, NULL, NULL, (uint64_t)yn->start_mark.line + 1);
		return lt_error_set(l->err, LT_EFILE, "%s",
		                    depth > SIGMA_YAML_MAX_DEPTH ? "YAML nested too deeply"
		                                                 : "YAML has too many nodes (aliases expanded)");
	}
	sigma_ynode *n = arena_calloc(l->a, sizeof *n);
	if (n == NULL)
		return oom(l->err);
	n->line = (unsigned)yn->start_mark.line + 1;
	n->col = (unsigned)yn->start_mark.column + 1;
	*out = n;
	switch (yn->type) {
	case YAML_SCALAR_NODE:
		return copy_scalar(l, yn, n);
	case YAML_SEQUENCE_NODE:
		return copy_seq(l, yn, depth, n);
	case YAML_MAPPING_NODE:
		return copy_map(l, yn, depth, n);
	default:
		return lt_error_set(l->err, LT_EFILE, "empty YAML node");
	}
}

static lt_status parse_error(yaml_parser_t *p, lt_error *err)
{
	yaml_mark_t m = p->problem_mark;
	lt_error_where(err, NULL, NULL, (uint64_t)m.line + 1);
	return lt_error_set(err, LT_EFILE, "YAML: %s%s%s", p->problem ? p->problem : "syntax error",
	                    p->context ? " " : "", p->context ? p->context : "");
}

lt_status sigma_yaml_load(arena *a, const char *text, size_t len, sigma_ynode ***docs,
                          size_t *ndocs, lt_error *err)
{
	*docs = NULL;
	*ndocs = 0;
	if (len > SIGMA_YAML_MAX_BYTES)
		return lt_error_set(err, LT_EFILE, "rule file larger than %u bytes", SIGMA_YAML_MAX_BYTES);
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return oom(err);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	size_t cap = 4, n = 0;
	sigma_ynode **v = arena_alloc(a, cap * sizeof *v);
	lt_status st = v ? LT_OK : oom(err);
	loader l = {a, NULL, 0, err};
	while (st == LT_OK) {
		yaml_document_t doc;
		if (!yaml_parser_load(&p, &doc)) {
			st = parse_error(&p, err);
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (root == NULL) { /* end of stream */
			yaml_document_delete(&doc);
			break;
		}
		if (n == cap) {
			sigma_ynode **nv = n < SIGMA_YAML_MAX_DOCS ? arena_alloc(a, 2 * cap * sizeof *nv) : NULL;
			if (nv == NULL) {
				st = n < SIGMA_YAML_MAX_DOCS ? oom(err)
				                             : lt_error_set(err, LT_EFILE, "too many YAML documents");
				yaml_document_delete(&doc);
				break;
			}
			memcpy(nv, v, n * sizeof *v);
			v = nv;
			cap *= 2;
		}
		l.doc = &doc;
		st = copy_node(&l, root, 0, &v[n]);
		yaml_document_delete(&doc);
		if (st == LT_OK)
			n++;
	}
	yaml_parser_delete(&p);
	if (st != LT_OK)
		return st;
	*docs = v;
	*ndocs = n;
	return LT_OK;
}

const sigma_ynode *sigma_yaml_get(const sigma_ynode *n, const char *key)
{
	if (n == NULL || n->type != SIGMA_Y_MAP)
		return NULL;
	size_t kl = strlen(key);
	for (size_t i = n->len; i-- > 0;) {
		const sigma_ynode *k = n->pairs[i].key;
		if (k->n == kl && memcmp(k->s, key, kl) == 0)
			return n->pairs[i].value;
	}
	return NULL;
}

const char *sigma_yaml_str(const sigma_ynode *n)
{
	return n != NULL && n->type == SIGMA_Y_SCALAR ? n->s : NULL;
}

bool sigma_yaml_is_null(const sigma_ynode *n)
{
	if (n == NULL || n->type != SIGMA_Y_SCALAR || n->quoted)
		return false;
	return n->n == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
	       strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

bool sigma_yaml_bool(const sigma_ynode *n, bool *value)
{
	if (n == NULL || n->type != SIGMA_Y_SCALAR || n->quoted)
		return false;
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", NULL};
	for (int i = 0; yes[i]; i++) {
		if (strcmp(n->s, yes[i]) == 0) {
			*value = true;
			return true;
		}
		if (strcmp(n->s, no[i]) == 0) {
			*value = false;
			return true;
		}
	}
	return false;
}

sigma_ynode *sigma_yaml_merge(arena *a, const sigma_ynode *base, const sigma_ynode *over)
{
	if (base == NULL || base->type != SIGMA_Y_MAP || over == NULL || over->type != SIGMA_Y_MAP)
		return (sigma_ynode *)(uintptr_t)(over != NULL ? over : base);
	sigma_ynode *m = arena_calloc(a, sizeof *m);
	sigma_ypair *pairs = arena_calloc(a, (base->len + over->len + 1) * sizeof *pairs);
	if (m == NULL || pairs == NULL)
		return NULL;
	*m = *over;
	size_t n = 0;
	for (size_t i = 0; i < base->len; i++) {
		pairs[n] = base->pairs[i];
		const sigma_ynode *ov = sigma_yaml_get(over, base->pairs[i].key->s);
		if (ov != NULL) {
			pairs[n].value = sigma_yaml_merge(a, base->pairs[i].value, ov);
			if (pairs[n].value == NULL)
				return NULL;
		}
		n++;
	}
	for (size_t i = 0; i < over->len; i++) {
		if (sigma_yaml_get(base, over->pairs[i].key->s) == NULL)
			pairs[n++] = over->pairs[i];
	}
	m->pairs = pairs;
	m->len = n;
	return m;
}

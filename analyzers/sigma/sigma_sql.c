/*
 * sigma_sql.c — Sigma rules to SQL (see sigma_sql.h; docs/scale-out.md).
 *
 * For each rule the native ruleset loaded, the rule's file is parsed again
 * with sigma_yaml (the k-th rule of a file is its k-th document, checked by
 * title) and its detection is walked: selections become boolean SQL over the
 * event views, the condition (sigma_cond) becomes AND/OR/NOT over them. A
 * field is a list of values (its JSON value, or any array element at any key:
 * every path with and without [*] after each key), and an item is true
 * when any value satisfies the value predicate on `v` — the native engine's
 * any-element rule. Everything a dialect writes differently (regex function,
 * list predicate, JSON access, string escapes) is in one table, `dialects`.
 * Anything that cannot be written with the same meaning makes the whole rule
 * skipped with its reason: nothing is approximated silently.
 */
#include "analyzers/sigma/sigma_sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/sigma/sigma_cond.h"
#include "analyzers/sigma/sigma_yaml.h"
#include "common/arena.h"

#define MAX_SELS 256
#define MAX_MODS 16
#define SQL_MAX_PATH_KEYS 7

typedef struct dialect_ops {
	const char *name;
	/* "any value of list L satisfies P(v)": two %s, L then P */
	const char *any_fmt;
	/* regex match of v against pattern literal %s */
	const char *re_fmt;
	/* a field's value list from doc: path, path with [*] after the first key (or NULL) */
	const char *vals_fmt;  /* the values of JSON path %s (when not expand_paths) */
	bool expand_paths;     /* vals written out as JSON paths with [*] variants */
	const char *list1_fmt; /* a one-element list of column %s */
	const char *present_fmt; /* JSON path %s present in doc (even as null) */
	const char *null_fmt;    /* JSON path %s absent or null */
	const char *num_fmt;     /* v as a number or NULL */
	bool backslash_escapes;  /* string literals treat \ as an escape */
	const char *text_type;   /* the string type of CAST */
} dialect_ops;

static const dialect_ops dialects[] = {
    [SIGMA_SQL_DUCKDB] = {"duckdb", "len(list_filter(%s, v -> %s)) > 0", "regexp_matches(v, %s)",
                          "", true, "[%s]",
                          "json_extract(doc, %s) IS NOT NULL",
                          "coalesce(json_type(json_extract(doc, %s)), 'NULL') = 'NULL'",
                          "TRY_CAST(v AS DOUBLE)", false, "VARCHAR"},
    [SIGMA_SQL_ATHENA] = {"athena", "any_match(%s, v -> %s)", "regexp_like(v, %s)",
                          "lt_vals(doc, %s)", false, "ARRAY[%s]",
                          "json_extract(doc, %s) IS NOT NULL",
                          "coalesce(json_format(json_extract(doc, %s)), 'null') = 'null'",
                          "TRY_CAST(v AS DOUBLE)", false, "VARCHAR"},
    [SIGMA_SQL_TRINO] = {"trino", "any_match(%s, v -> %s)", "regexp_like(v, %s)", "lt_vals(doc, %s)",
                         false, "ARRAY[%s]", "json_extract(doc, %s) IS NOT NULL",
                         "coalesce(json_format(json_extract(doc, %s)), 'null') = 'null'",
                         "TRY_CAST(v AS DOUBLE)", false, "VARCHAR"},
    [SIGMA_SQL_SPARK] = {"spark", "exists(%s, v -> %s)", "v RLIKE %s", "lt_vals(doc, %s)",
                         false, "array(%s)", "get_json_object(doc, %s) IS NOT NULL",
                         "coalesce(get_json_object(doc, %s), 'null') = 'null'", "TRY_CAST(v AS DOUBLE)",
                         true, "STRING"},
};

typedef struct sql_rule {
	char *id, *title, *level;
	ev_source src;
	char *where;
} sql_rule;

typedef struct sql_skip {
	char *rule, *reason;
} sql_skip;

struct sigma_sql {
	sigma_sql_dialect d;
	sql_rule *rules;
	size_t nrules, caprules;
	sql_skip *skips;
	size_t nskips, capskips;
};

/* One rule being compiled: output, and why it cannot be (first reason). */
typedef struct cctx {
	const dialect_ops *ops;
	ev_source src;
	buf *b;
	lt_status st;
	char why[256];
} cctx;

static void emit(cctx *c, const char *fmt, ...) LT_PRINTF(2, 3);
static void emit(cctx *c, const char *fmt, ...)
{
	if (c->st != LT_OK)
		return;
	va_list ap;
	va_start(ap, fmt);
	c->st = buf_vprintf(c->b, fmt, ap);
	va_end(ap);
}

static void cannot(cctx *c, const char *fmt, ...) LT_PRINTF(2, 3);
static void cannot(cctx *c, const char *fmt, ...)
{
	if (c->why[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
}

/* Writes template tpl with each "%s" replaced by the next of args[0..n)
 * and "%%" by "%" (the dialect table's templates are data, not formats). */
static lt_status put_tpl(buf *b, const char *tpl, const char *const *args, size_t n)
{
	lt_status st = LT_OK;
	size_t k = 0;
	for (const char *p = tpl; *p && st == LT_OK; p++) {
		if (p[0] == '%' && p[1] == 's') {
			st = buf_puts(b, k < n ? args[k] : "");
			k++;
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			st = buf_putc(b, '%');
			p++;
		} else {
			st = buf_putc(b, *p);
		}
	}
	return st;
}

static void emit_tpl(cctx *c, const char *tpl, const char *a1, const char *a2)
{
	const char *args[2] = {a1, a2};
	if (c->st == LT_OK)
		c->st = put_tpl(c->b, tpl, args, 2);
}

bool sigma_sql_dialect_parse(const char *name, sigma_sql_dialect *out)
{
	for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++)
		if (strcmp(name, dialects[i].name) == 0) {
			*out = (sigma_sql_dialect)i;
			return true;
		}
	return false;
}

const char *sigma_sql_dialect_name(sigma_sql_dialect d)
{
	return dialects[d].name;
}

/* ---- literals ------------------------------------------------------------ */

/* A SQL string literal of s[0..n) into a fresh buffer (caller frees). */
static char *sql_lit(const dialect_ops *ops, const char *s, size_t n)
{
	buf b;
	buf_init(&b, SIGMA_SQL_MAX_SCRIPT);
	lt_status st = buf_putc(&b, '\'');
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		if (s[i] == '\'')
			st = buf_putc(&b, '\'');
		else if (s[i] == '\\' && ops->backslash_escapes)
			st = buf_putc(&b, '\\');
		if (st == LT_OK)
			st = buf_putc(&b, s[i]);
	}
	if (st == LT_OK)
		st = buf_putc(&b, '\'');
	if (st != LT_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void emit_lit(cctx *c, const char *s, size_t n)
{
	char *l = sql_lit(c->ops, s, n);
	if (l == NULL)
		c->st = LT_EFATAL;
	else
		emit(c, "%s", l);
	free(l);
}

/* ---- values -------------------------------------------------------------- */

enum { M_EXACT, M_CONTAINS, M_STARTS, M_ENDS };

typedef struct vmods {
	int mode;
	bool cased, all, re, neq, num;
	int cmp; /* -2 lt, -1 lte, 1 gte, 2 gt */
	char re_flags[4];
	bool exists;
} vmods;

/* Sigma plain value -> LIKE pattern (lowercased unless cased); *wild says
 * whether it holds a wildcard. */
static lt_status like_pattern(const char *s, size_t n, const vmods *m, buf *out, bool *wild)
{
	lt_status st = LT_OK;
	*wild = m->mode != M_EXACT;
	if (m->mode == M_CONTAINS || m->mode == M_ENDS)
		st = buf_putc(out, '%');
	for (size_t i = 0; i < n && st == LT_OK; i++) {
		char ch = s[i];
		if (ch == '\\' && i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
			ch = s[++i];
		} else if (ch == '*' || ch == '?') {
			*wild = true;
			st = buf_putc(out, ch == '*' ? '%' : '_');
			continue;
		}
		if (!m->cased && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '%' || ch == '_' || ch == '\\')
			st = buf_putc(out, '\\');
		if (st == LT_OK)
			st = buf_putc(out, ch);
	}
	if (st == LT_OK && (m->mode == M_CONTAINS || m->mode == M_STARTS))
		st = buf_putc(out, '%');
	return st;
}

/* Unescapes a LIKE pattern without wildcards back to its literal. */
static void unlike(buf *p)
{
	size_t w = 0;
	for (size_t r = 0; r < p->len; r++) {
		if (p->data[r] == '\\' && r + 1 < p->len)
			r++;
		p->data[w++] = p->data[r];
	}
	p->len = w;
	if (p->len > 0 || p->data != NULL)
		p->data[w] = '\0';
}

/* Constructs RE2 (DuckDB), Joni/Java (Trino) and Java (Spark) read
 * differently from PCRE2, or not at all: refuse rather than differ. */
static const char *pcre_only(const char *re)
{
	static const char *const bad[] = {"(?=", "(?!", "(?<=", "(?<!", "(?>", "(?|", "(?P=", "\\K",
	                                  "\\R", "\\h", "\\Z", "\\G", "*+", "++", "?+", "}+", "(*", "\\x{"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (strstr(re, bad[i]) != NULL)
			return bad[i];
	for (const char *p = strchr(re, '\\'); p != NULL; p = strchr(p + 2, '\\')) {
		if (p[1] >= '1' && p[1] <= '9')
			return "back-reference";
		if (p[1] == '\0')
			break;
	}
	return NULL;
}

/* The predicate on v for one value. */
static void value_pred(cctx *c, const vmods *m, const sigma_ynode *val)
{
	const char *s = sigma_yaml_str(val);
	if (s == NULL) {
		cannot(c, "a value that is a list or map inside a value list");
		return;
	}
	if (m->re) {
		const char *bad = pcre_only(s);
		if (bad != NULL) {
			cannot(c, "re uses %s, which the %s regex engine does not read as PCRE2 does", bad,
			       c->ops->name);
			return;
		}
		buf p;
		buf_init(&p, SIGMA_SQL_MAX_SCRIPT);
		lt_status st = LT_OK;
		if (m->re_flags[0] != '\0')
			st = buf_printf(&p, "(?%s)", m->re_flags);
		if (st == LT_OK)
			st = buf_append(&p, s, val->n);
		char *l = st == LT_OK ? sql_lit(c->ops, p.data, p.len) : NULL;
		if (l == NULL)
			c->st = LT_EFATAL;
		else
			emit_tpl(c, c->ops->re_fmt, l, NULL);
		free(l);
		buf_free(&p);
		return;
	}
	if (m->num) {
		char *end = NULL;
		double d = strtod(s, &end);
		if (end == s || *end != '\0') {
			cannot(c, "numeric comparison with %s", s);
			return;
		}
		static const char *const ops[] = {"<", "<=", "", ">=", ">"};
		emit(c, "%s %s %.17g", c->ops->num_fmt, ops[m->cmp + 2], d);
		return;
	}
	buf p;
	buf_init(&p, SIGMA_SQL_MAX_SCRIPT);
	bool wild = false;
	if (like_pattern(s, val->n, m, &p, &wild) != LT_OK) {
		c->st = LT_EFATAL;
		buf_free(&p);
		return;
	}
	const char *lhs = m->cased ? "v" : "lower(v)";
	if (wild) {
		emit(c, "%s LIKE ", lhs);
		emit_lit(c, p.data ? p.data : "", p.len);
		emit(c, " ESCAPE ");
		emit_lit(c, "\\", 1);
	} else {
		unlike(&p);
		emit(c, "%s = ", lhs);
		emit_lit(c, p.data ? p.data : "", p.len);
	}
	buf_free(&p);
}

/* ---- fields -------------------------------------------------------------- */

static bool derived_field(const cctx *c, const char *f)
{
	if (c->src == EV_SRC_INVOCATION)
		return strcmp(f, "prompt") == 0 || strcmp(f, "system") == 0 || strcmp(f, "response") == 0;
	return c->src == EV_SRC_CLOUDTRAIL && strcmp(f, "credential") == 0;
}

/* JSON path '$."a"."b"' of a dotted field; bit i of stars puts [*] after
 * key i (an array there: any element). */
static lt_status json_path(const char *f, unsigned stars, buf *out)
{
	lt_status st = buf_putc(out, '$');
	unsigned i = 0;
	for (const char *p = f; st == LT_OK; i++) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		st = buf_puts(out, ".\"");
		for (size_t k = 0; k < n && st == LT_OK; k++)
			st = p[k] == '"' ? buf_puts(out, "\\\"") : buf_putc(out, p[k]);
		if (st == LT_OK)
			st = buf_putc(out, '"');
		if (st == LT_OK && (stars & (1u << i)))
			st = buf_puts(out, "[*]");
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	return st;
}

static char *path_lit(cctx *c, const char *f, unsigned stars)
{
	buf p;
	buf_init(&p, SIGMA_SQL_MAX_SCRIPT);
	char *l = NULL;
	if (json_path(f, stars, &p) == LT_OK)
		l = sql_lit(c->ops, p.data, p.len);
	buf_free(&p);
	if (l == NULL)
		c->st = LT_EFATAL;
	return l;
}

static unsigned path_keys(const char *f)
{
	unsigned k = 1;
	for (; *f; f++)
		k += *f == '.';
	return k;
}

/* The values of a field as a list of strings. DuckDB: every way of reading
 * each key as an object member or as an array of them (2^keys JSON paths),
 * keeping scalars only (objects and arrays match nothing, as natively).
 * Other dialects: the lt_vals function the table set-up defines. */
static void emit_vals(cctx *c, const char *f)
{
	if (derived_field(c, f)) {
		emit_tpl(c, c->ops->list1_fmt, f, NULL);
		return;
	}
	unsigned k = path_keys(f);
	if (!c->ops->expand_paths) {
		char *p = path_lit(c, f, 0);
		if (p != NULL)
			emit_tpl(c, c->ops->vals_fmt, p, NULL);
		free(p);
		return;
	}
	if (k > SQL_MAX_PATH_KEYS) {
		cannot(c, "field %s has more than %d keys (each may be an array: too many paths)", f,
		       SQL_MAX_PATH_KEYS);
		return;
	}
	emit(c, "lt_scalars(flatten([");
	for (unsigned m = 0; m < (1u << k) && c->st == LT_OK; m++) {
		char *p = path_lit(c, f, m);
		if (p != NULL)
			emit(c, m == 0 ? "[json_extract(doc, %s)]" : ", json_extract(doc, %s)", p);
		free(p);
	}
	emit(c, "]))");
}

/* exists / null on a field: present (even as null), absent, absent or null. */
enum { P_PRESENT, P_ABSENT, P_NULLISH };

static void emit_presence(cctx *c, const char *f, int mode)
{
	if (derived_field(c, f)) {
		emit(c, mode == P_PRESENT ? "(%s IS NOT NULL)" : "(%s IS NULL)", f);
		return;
	}
	char *p = path_lit(c, f, 0);
	if (p == NULL)
		return;
	emit(c, mode == P_ABSENT ? "(NOT " : "(");
	emit_tpl(c, mode == P_NULLISH ? c->ops->null_fmt : c->ops->present_fmt, p, NULL);
	emit(c, ")");
	free(p);
}

/* ---- items --------------------------------------------------------------- */

static bool parse_mods(cctx *c, char **mods, size_t n, vmods *m)
{
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < n; i++) {
		const char *x = mods[i];
		if (strcmp(x, "contains") == 0)
			m->mode = M_CONTAINS;
		else if (strcmp(x, "startswith") == 0)
			m->mode = M_STARTS;
		else if (strcmp(x, "endswith") == 0)
			m->mode = M_ENDS;
		else if (strcmp(x, "cased") == 0)
			m->cased = true;
		else if (strcmp(x, "all") == 0)
			m->all = true;
		else if (strcmp(x, "neq") == 0)
			m->neq = true;
		else if (strcmp(x, "exists") == 0)
			m->exists = true;
		else if (strcmp(x, "re") == 0)
			m->re = true;
		else if (m->re && (strcmp(x, "i") == 0 || strcmp(x, "m") == 0 || strcmp(x, "s") == 0)) {
			if (strchr(m->re_flags, x[0]) == NULL && strlen(m->re_flags) < 3)
				strncat(m->re_flags, x, 1);
		} else if (strcmp(x, "lt") == 0 || strcmp(x, "lte") == 0 || strcmp(x, "gte") == 0 ||
		           strcmp(x, "gt") == 0) {
			m->num = true;
			m->cmp = strcmp(x, "lt") == 0 ? -2 : strcmp(x, "lte") == 0 ? -1 : strcmp(x, "gte") == 0 ? 1 : 2;
		} else {
			cannot(c, "modifier %s is not compiled to SQL", x);
			return false;
		}
	}
	return true;
}

/* `field|mods: value(s)` */
static void emit_item(cctx *c, const char *key, const sigma_ynode *val)
{
	char tmp[512];
	if (strlen(key) >= sizeof tmp) {
		cannot(c, "field name longer than %zu bytes", sizeof tmp - 1);
		return;
	}
	strcpy(tmp, key);
	char *mods[MAX_MODS];
	size_t nm = 0;
	char *bar = strchr(tmp, '|');
	while (bar != NULL && nm < MAX_MODS) {
		*bar = '\0';
		mods[nm++] = bar + 1;
		bar = strchr(bar + 1, '|');
	}
	const char *field = tmp;
	if (field[0] == '\0') {
		cannot(c, "keyword search (no field name) is not compiled to SQL");
		return;
	}
	if (c->src == EV_SRC_INVOCATION && strncmp(field, "llmtrail.", 9) == 0) {
		cannot(c, "%s is computed by llmtrail's prompt analysis (analyzers/sigma/sigma_prompt.c), which SQL does not run",
		       field);
		return;
	}
	if (c->src == EV_SRC_INVOCATION && strcmp(field, "tool_calls") == 0) {
		cannot(c, "tool_calls is not derived in SQL (streamed tool calls are rebuilt from partial JSON)");
		return;
	}
	vmods m;
	if (!parse_mods(c, mods, nm, &m))
		return;
	if (m.exists) {
		bool want = true;
		if (!sigma_yaml_bool(val, &want)) {
			cannot(c, "exists wants true or false");
			return;
		}
		emit_presence(c, field, want ? P_PRESENT : P_ABSENT);
		return;
	}
	size_t nv = val->type == SIGMA_Y_SEQ ? val->len : 1;
	const sigma_ynode *const *vs =
	    val->type == SIGMA_Y_SEQ ? (const sigma_ynode *const *)val->items : (const sigma_ynode *const *)&val;
	if (val->type == SIGMA_Y_MAP) {
		cannot(c, "a map as a field value");
		return;
	}
	emit(c, "(");
	if (m.neq) {
		emit_presence(c, field, P_PRESENT);
		emit(c, " AND NOT ");
	}
	bool any_null = false;
	size_t nreal = 0;
	for (size_t i = 0; i < nv; i++) {
		if (sigma_yaml_is_null(vs[i]))
			any_null = true;
		else
			nreal++;
	}
	if (any_null)
		emit_presence(c, field, P_NULLISH);
	if (nreal > 0) {
		if (any_null)
			emit(c, " OR ");
		/* all: one any-match per value AND-ed; otherwise one any-match of the OR */
		size_t groups = m.all ? nreal : 1;
		size_t k = 0;
		for (size_t g = 0; g < groups; g++) {
			if (g > 0)
				emit(c, " AND ");
			emit(c, "(");
			/* any_fmt is "… %s … %s …": write its text around the list and the predicate */
			const char *fmt = c->ops->any_fmt;
			const char *s1 = strstr(fmt, "%s");
			const char *s2 = strstr(s1 + 2, "%s");
			emit(c, "%.*s", (int)(s1 - fmt), fmt);
			emit_vals(c, field);
			emit(c, "%.*s", (int)(s2 - s1 - 2), s1 + 2);
			size_t written = 0;
			for (; k < nv; k++) {
				if (sigma_yaml_is_null(vs[k]))
					continue;
				if (written > 0)
					emit(c, " OR ");
				emit(c, "(");
				value_pred(c, &m, vs[k]);
				emit(c, ")");
				written++;
				if (m.all) {
					k++;
					break;
				}
			}
			emit(c, "%s", s2 + 2);
			emit(c, ")");
		}
	}
	emit(c, ")");
}

/* A selection: map (AND of items), list of maps (OR), else keywords. */
static void emit_selection(cctx *c, const sigma_ynode *sel)
{
	if (sel->type == SIGMA_Y_MAP) {
		emit(c, "(");
		if (sel->len == 0)
			emit(c, "TRUE");
		for (size_t i = 0; i < sel->len; i++) {
			if (i > 0)
				emit(c, " AND ");
			emit_item(c, sel->pairs[i].key->s, sel->pairs[i].value);
		}
		emit(c, ")");
	} else if (sel->type == SIGMA_Y_SEQ && sel->len > 0 && sel->items[0]->type == SIGMA_Y_MAP) {
		emit(c, "(");
		for (size_t i = 0; i < sel->len; i++) {
			if (i > 0)
				emit(c, " OR ");
			if (sel->items[i]->type != SIGMA_Y_MAP) {
				cannot(c, "a selection list mixing maps and values");
				return;
			}
			emit_selection(c, sel->items[i]);
		}
		emit(c, ")");
	} else {
		cannot(c, "keyword search (a list of plain values) is not compiled to SQL");
	}
}

static void emit_cond(cctx *c, const sigma_cond *k, const sigma_ynode *const *sels)
{
	switch (k->op) {
	case SIGMA_C_SEL:
		emit_selection(c, sels[k->sel]);
		return;
	case SIGMA_C_NOT:
		emit(c, "(NOT COALESCE(");
		emit_cond(c, k->kids[0], sels);
		emit(c, ", FALSE))");
		return;
	case SIGMA_C_AND:
	case SIGMA_C_ALL_OF:
	case SIGMA_C_OR:
	case SIGMA_C_ONE_OF: {
		bool and = k->op == SIGMA_C_AND || k->op == SIGMA_C_ALL_OF;
		emit(c, "(");
		if (k->n == 0)
			emit(c, and ? "TRUE" : "FALSE");
		for (size_t i = 0; i < k->n; i++) {
			if (i > 0)
				emit(c, and ? " AND " : " OR ");
			emit(c, "COALESCE(");
			emit_cond(c, k->kids[i], sels);
			emit(c, ", FALSE)");
		}
		emit(c, ")");
		return;
	}
	}
}

/* The WHERE clause of a detection document into c->b, or c->why. */
static void compile_detection(cctx *c, arena *a, const sigma_ynode *det)
{
	const char *names[MAX_SELS];
	const sigma_ynode *sels[MAX_SELS];
	size_t n = 0;
	const sigma_ynode *cond = NULL;
	for (size_t i = 0; i < det->len; i++) {
		const char *k = det->pairs[i].key->s;
		if (strcmp(k, "condition") == 0) {
			cond = det->pairs[i].value;
		} else if (strcmp(k, "timeframe") == 0) {
			cannot(c, "timeframe (Sigma 1 aggregation)");
			return;
		} else if (n < MAX_SELS) {
			names[n] = k;
			sels[n++] = det->pairs[i].value;
		} else {
			cannot(c, "more than %d search identifiers", MAX_SELS);
			return;
		}
	}
	if (cond == NULL) {
		cannot(c, "no condition");
		return;
	}
	size_t nc = cond->type == SIGMA_Y_SEQ ? cond->len : 1;
	emit(c, "(");
	for (size_t i = 0; i < nc && c->why[0] == '\0'; i++) {
		const char *text = sigma_yaml_str(cond->type == SIGMA_Y_SEQ ? cond->items[i] : cond);
		sigma_cond *tree = NULL;
		bool unsupported = false;
		lt_error err;
		lt_error_clear(&err);
		if (text == NULL || sigma_cond_parse(a, text, names, n, &tree, &unsupported, &err) != LT_OK) {
			cannot(c, "condition: %s", text ? err.msg : "not a string");
			return;
		}
		if (i > 0)
			emit(c, " OR ");
		emit(c, "COALESCE(");
		emit_cond(c, tree, sels);
		emit(c, ", FALSE)");
	}
	emit(c, ")");
}

/* ---- rules --------------------------------------------------------------- */

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static lt_status add_skip(sigma_sql *q, const sigma_rule *r, const char *reason)
{
	if (q->nskips == q->capskips) {
		size_t cap = q->capskips ? q->capskips * 2 : 32;
		sql_skip *s = realloc(q->skips, cap * sizeof *s);
		if (s == NULL)
			return LT_EFATAL;
		q->skips = s;
		q->capskips = cap;
	}
	const char *id = sigma_rule_id(r)[0] ? sigma_rule_id(r) : sigma_rule_title(r);
	sql_skip *s = &q->skips[q->nskips];
	s->rule = dupstr(id);
	s->reason = dupstr(reason);
	if (s->rule == NULL || s->reason == NULL) {
		free(s->rule);
		free(s->reason);
		return LT_EFATAL;
	}
	q->nskips++;
	return LT_OK;
}

static lt_status add_rule(sigma_sql *q, const sigma_rule *r, char *where)
{
	if (q->nrules == q->caprules) {
		size_t cap = q->caprules ? q->caprules * 2 : 64;
		sql_rule *s = realloc(q->rules, cap * sizeof *s);
		if (s == NULL)
			return LT_EFATAL;
		q->rules = s;
		q->caprules = cap;
	}
	sql_rule *x = &q->rules[q->nrules];
	x->id = dupstr(sigma_rule_id(r)[0] ? sigma_rule_id(r) : sigma_rule_title(r));
	x->title = dupstr(sigma_rule_title(r));
	x->level = dupstr(sigma_rule_level(r));
	x->src = sigma_rule_source(r);
	x->where = where;
	if (x->id == NULL || x->title == NULL || x->level == NULL) {
		free(x->id);
		free(x->title);
		free(x->level);
		return LT_EFATAL;
	}
	q->nrules++;
	return LT_OK;
}

/* One parsed rule file: its documents, in order. */
typedef struct rfile {
	const char *name;
	sigma_ynode **docs;
	size_t ndocs, next;
	char *text;
} rfile;

static lt_status load_file(arena *a, const char *path, rfile *f, lt_error *err)
{
	free(f->text);
	memset(f, 0, sizeof *f);
	f->name = path;
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return lt_error_set(err, LT_EFILE, "%s: cannot open", path);
	f->text = malloc(SIGMA_YAML_MAX_BYTES + 1);
	size_t n = f->text ? fread(f->text, 1, SIGMA_YAML_MAX_BYTES + 1, fp) : 0;
	fclose(fp);
	if (f->text == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	if (n > SIGMA_YAML_MAX_BYTES)
		return lt_error_set(err, LT_EFILE, "%s: larger than %u bytes", path, SIGMA_YAML_MAX_BYTES);
	f->text[n] = '\0';
	return sigma_yaml_load(a, f->text, n, &f->docs, &f->ndocs, err);
}

/* Why the rule (LOADED, a detection) cannot be compiled at all, or NULL. */
static const char *rule_level_reason(const sigma_rule *r, const sigma_ynode *doc, char *tmp, size_t n)
{
	if (sigma_rule_source(r) != EV_SRC_CLOUDTRAIL && sigma_rule_source(r) != EV_SRC_INVOCATION)
		return "no SQL table for its log source";
	const sigma_ynode *ext = sigma_yaml_get(doc, "llmtrail");
	for (size_t i = 0; ext != NULL && ext->type == SIGMA_Y_MAP && i < ext->len; i++) {
		const char *k = ext->pairs[i].key->s;
		if (strcmp(k, "redact") != 0) {
			snprintf(tmp, n, "llmtrail.%s (an llmtrail validator or state the SQL engines lack)", k);
			return tmp;
		}
	}
	return NULL;
}

static lt_status compile_rule(sigma_sql *q, const sigma_rule *r, const sigma_ynode *doc, arena *a)
{
	char tmp[256];
	const char *why = rule_level_reason(r, doc, tmp, sizeof tmp);
	if (why != NULL)
		return add_skip(q, r, why);
	buf b;
	buf_init(&b, SIGMA_SQL_MAX_SCRIPT);
	cctx c = {.ops = &dialects[q->d], .src = sigma_rule_source(r), .b = &b, .st = LT_OK};
	c.why[0] = '\0';
	const sigma_ynode *det = sigma_yaml_get(doc, "detection");
	if (det == NULL || det->type != SIGMA_Y_MAP)
		cannot(&c, "no detection map");
	else
		compile_detection(&c, a, det);
	if (c.st != LT_OK) {
		buf_free(&b);
		return c.st;
	}
	if (c.why[0] != '\0') {
		buf_free(&b);
		return add_skip(q, r, c.why);
	}
	char *where = buf_detach(&b, NULL);
	if (where == NULL)
		return LT_EFATAL;
	lt_status st = add_rule(q, r, where);
	if (st != LT_OK)
		free(where);
	return st;
}

/* Calls fn(ctx, rule, its document or NULL) for every rule of rs, in order. */
typedef lt_status (*rule_fn)(void *ctx, const sigma_rule *r, const sigma_ynode *doc);

static lt_status walk(const sigma_ruleset *rs, arena *a, rule_fn fn, void *ctx, lt_error *err)
{
	rfile f = {0};
	lt_status st = LT_OK;
	for (size_t i = 0; i < ruleset_count(rs) && st == LT_OK; i++) {
		const sigma_rule *r = ruleset_rule(rs, i);
		const char *file = sigma_rule_file(r);
		if (f.name == NULL || strcmp(f.name, file) != 0) {
			st = load_file(a, file, &f, err);
			if (st != LT_OK)
				break;
		}
		const sigma_ynode *doc = f.next < f.ndocs ? f.docs[f.next++] : NULL;
		const char *title = doc ? sigma_yaml_str(sigma_yaml_get(doc, "title")) : NULL;
		if (doc != NULL && (sigma_yaml_get(doc, "action") != NULL ||
		                    strcmp(title ? title : "", sigma_rule_title(r)) != 0))
			doc = NULL;
		st = fn(ctx, r, doc);
	}
	free(f.text);
	return st;
}

/* Detection rules that report only through a correlation (no `generate:
 * true`): the native scan shows no hit of theirs. */
typedef struct quiet_set {
	char **names;
	size_t n, cap;
} quiet_set;

static lt_status collect_quiet(void *ctx, const sigma_rule *r, const sigma_ynode *doc)
{
	quiet_set *qs = ctx;
	if (doc == NULL || sigma_rule_kind(r) != SIGMA_KIND_CORRELATION)
		return LT_OK;
	const sigma_ynode *corr = sigma_yaml_get(doc, "correlation");
	bool gen = false;
	if (sigma_yaml_bool(sigma_yaml_get(corr, "generate"), &gen) && gen)
		return LT_OK;
	const sigma_ynode *rules = sigma_yaml_get(corr, "rules");
	size_t n = rules && rules->type == SIGMA_Y_SEQ ? rules->len : 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = sigma_yaml_str(rules->items[i]);
		if (name == NULL)
			continue;
		if (qs->n == qs->cap) {
			size_t cap = qs->cap ? qs->cap * 2 : 32;
			char **v = realloc(qs->names, cap * sizeof *v);
			if (v == NULL)
				return LT_EFATAL;
			qs->names = v;
			qs->cap = cap;
		}
		if ((qs->names[qs->n] = dupstr(name)) == NULL)
			return LT_EFATAL;
		qs->n++;
	}
	return LT_OK;
}

static bool is_quiet(const quiet_set *qs, const sigma_rule *r)
{
	for (size_t i = 0; i < qs->n; i++)
		if (strcmp(qs->names[i], sigma_rule_id(r)) == 0 || strcmp(qs->names[i], sigma_rule_name(r)) == 0)
			return true;
	return false;
}

typedef struct compile_pass {
	sigma_sql *q;
	const quiet_set *quiet;
	arena *a;
} compile_pass;

static lt_status compile_one(void *ctx, const sigma_rule *r, const sigma_ynode *doc)
{
	compile_pass *p = ctx;
	char why[320];
	if (sigma_rule_state(r) != SIGMA_LOADED) {
		snprintf(why, sizeof why, "%s natively: %s", sigma_state_name(sigma_rule_state(r)),
		         sigma_rule_reason(r));
		return add_skip(p->q, r, why);
	}
	if (doc == NULL)
		return add_skip(p->q, r, "part of a rule collection (action: global/repeat): not compiled to SQL");
	if (sigma_rule_kind(r) == SIGMA_KIND_CORRELATION) {
		const char *type = sigma_yaml_str(sigma_yaml_get(sigma_yaml_get(doc, "correlation"), "type"));
		snprintf(why, sizeof why, "correlation (%s): not yet compiled to SQL", type ? type : "?");
		return add_skip(p->q, r, why);
	}
	if (sigma_rule_kind(r) == SIGMA_KIND_FILTER)
		return add_skip(p->q, r, "filter document: not compiled to SQL");
	if (is_quiet(p->quiet, r))
		return add_skip(p->q, r, "reports only through a correlation, which is not compiled");
	return compile_rule(p->q, r, doc, p->a);
}

static lt_status compile_all(sigma_sql *q, const sigma_ruleset *rs, arena *a, lt_error *err)
{
	quiet_set qs = {0};
	lt_status st = walk(rs, a, collect_quiet, &qs, err);
	for (size_t i = 0; i < ruleset_count(rs) && st == LT_OK; i++)
		if (sigma_rule_kind(ruleset_rule(rs, i)) == SIGMA_KIND_FILTER &&
		    sigma_rule_state(ruleset_rule(rs, i)) == SIGMA_LOADED)
			st = lt_error_set(err, LT_EITEM, "%s: filter documents are not compiled to SQL yet: "
			                  "the rules they name would match more than natively",
			                  sigma_rule_file(ruleset_rule(rs, i)));
	compile_pass p = {q, &qs, a};
	if (st == LT_OK)
		st = walk(rs, a, compile_one, &p, err);
	for (size_t i = 0; i < qs.n; i++)
		free(qs.names[i]);
	free(qs.names);
	return st;
}

lt_status sigma_sql_compile(const sigma_ruleset *rs, sigma_sql_dialect d, sigma_sql **out, lt_error *err)
{
	*out = NULL;
	sigma_sql *q = calloc(1, sizeof *q);
	arena *a = arena_new(0, 0);
	if (q == NULL || a == NULL) {
		free(q);
		arena_free(a);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	q->d = d;
	lt_status st = compile_all(q, rs, a, err);
	arena_free(a);
	if (st != LT_OK) {
		sigma_sql_free(q);
		if (st == LT_EFATAL && err->msg[0] == '\0')
			lt_error_set(err, LT_EFATAL, "out of memory");
		return st;
	}
	*out = q;
	return LT_OK;
}

void sigma_sql_free(sigma_sql *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->nrules; i++) {
		free(q->rules[i].id);
		free(q->rules[i].title);
		free(q->rules[i].level);
		free(q->rules[i].where);
	}
	for (size_t i = 0; i < q->nskips; i++) {
		free(q->skips[i].rule);
		free(q->skips[i].reason);
	}
	free(q->rules);
	free(q->skips);
	free(q);
}

size_t sigma_sql_ncompiled(const sigma_sql *q)
{
	return q->nrules;
}

size_t sigma_sql_nskipped(const sigma_sql *q)
{
	return q->nskips;
}

const char *sigma_sql_skipped_rule(const sigma_sql *q, size_t i)
{
	return i < q->nskips ? q->skips[i].rule : NULL;
}

const char *sigma_sql_skipped_reason(const sigma_sql *q, size_t i)
{
	return i < q->nskips ? q->skips[i].reason : NULL;
}

/* ---- the script ---------------------------------------------------------- */

/* DuckDB: views over the local export folder. Invocation records are the
 * JSON Lines files of BedrockModelInvocationLogs (not the large-body data/
 * objects); CloudTrail files are {"Records":[...]} (digests excluded). The
 * derived text follows ingest/bedrock.c for the non-streamed body shapes,
 * parts joined by a newline. */
static const char duckdb_views[] =
    "CREATE OR REPLACE MACRO lt_scalars(l) AS list_transform(\n"
    "  list_filter(l, x -> json_type(x) NOT IN ('OBJECT', 'ARRAY')), x -> json_extract_string(x, '$'));\n"
    "CREATE OR REPLACE MACRO lt_strs(j, p) AS\n"
    "  CASE WHEN json_type(j, p) = 'VARCHAR' THEN [json_extract_string(j, p)] ELSE CAST([] AS VARCHAR[]) END;\n"
    "CREATE OR REPLACE MACRO lt_join(l) AS nullif(array_to_string(list_filter(l, x -> x IS NOT NULL), chr(10)), '');\n"
    "CREATE OR REPLACE TEMP TABLE lt_cloudtrail AS\n"
    "WITH f AS (SELECT json FROM read_json_objects(%s, format = 'auto', compression = 'auto_detect', filename = true)\n"
    "           WHERE filename LIKE '%%/CloudTrail/%%'),\n"
    "     r AS (SELECT unnest(json_extract(json, '$.Records[*]')) AS doc FROM f)\n"
    "SELECT doc,\n"
    "  json_extract_string(doc, '$.eventID') AS uid,\n"
    "  json_extract_string(doc, '$.eventTime') AS event_time,\n"
    "  json_extract_string(doc, '$.requestID') AS request_id,\n"
    "  json_extract_string(doc, '$.userIdentity.arn') AS principal,\n"
    "  json_extract_string(doc, '$.sourceIPAddress') AS source_ip,\n"
    "  CASE WHEN json_extract_string(doc, '$.additionalEventData.callWithBearerToken') = 'true'\n"
    "       THEN 'bedrock-api-key' END AS credential\n"
    "FROM r;\n"
    "CREATE OR REPLACE TEMP TABLE lt_invocation AS\n"
    "WITH f AS (SELECT json AS doc FROM read_json_objects(%s, format = 'newline_delimited', compression = 'auto_detect', filename = true)\n"
    "           WHERE filename LIKE '%%/BedrockModelInvocationLogs/%%' AND filename NOT LIKE '%%/data/%%'),\n"
    "     b AS (SELECT doc, json_extract(doc, '$.input.inputBodyJson') AS ib,\n"
    "                  json_extract(doc, '$.output.outputBodyJson') AS ob FROM f)\n"
    "SELECT doc,\n"
    "  json_extract_string(doc, '$.requestId') AS uid,\n"
    "  json_extract_string(doc, '$.timestamp') AS event_time,\n"
    "  json_extract_string(doc, '$.requestId') AS request_id,\n"
    "  json_extract_string(doc, '$.identity.arn') AS principal,\n"
    "  CAST(NULL AS VARCHAR) AS source_ip,\n"
    "  lt_join(flatten([\n"
    "    flatten(list_transform(coalesce(json_extract(ib, '$.messages[*]'), CAST([] AS JSON[])), m ->\n"
    "      CASE WHEN lower(coalesce(json_extract_string(m, '$.role'), '')) IN ('system', 'developer')\n"
    "           THEN CAST([] AS VARCHAR[])\n"
    "           ELSE flatten([lt_strs(m, '$.content'), json_extract_string(m, '$.content[*].text'),\n"
    "                         json_extract_string(m, '$.content[*].content[*].text'),\n"
    "                         json_extract_string(m, '$.content[*].toolResult.content[*].text')]) END)),\n"
    "    lt_strs(ib, '$.message'), lt_strs(ib, '$.prompt'), lt_strs(ib, '$.inputText'),\n"
    "    json_extract_string(ib, '$.texts[*]'), lt_strs(ib, '$.textToImageParams.text'),\n"
    "    json_extract_string(ib, '$.text_prompts[*].text')])) AS prompt,\n"
    "  lt_join(flatten([lt_strs(ib, '$.system'), json_extract_string(ib, '$.system[*].text'),\n"
    "    flatten(list_transform(coalesce(json_extract(ib, '$.messages[*]'), CAST([] AS JSON[])), m ->\n"
    "      CASE WHEN lower(coalesce(json_extract_string(m, '$.role'), '')) IN ('system', 'developer')\n"
    "           THEN flatten([lt_strs(m, '$.content'), json_extract_string(m, '$.content[*].text')])\n"
    "           ELSE CAST([] AS VARCHAR[]) END)),\n"
    "    lt_strs(ib, '$.preamble')])) AS system,\n"
    "  lt_join(flatten([json_extract_string(ob, '$.content[*].text'),\n"
    "    json_extract_string(ob, '$.output.message.content[*].text'),\n"
    "    lt_strs(ob, '$.completion'), lt_strs(ob, '$.generation'), lt_strs(ob, '$.text'),\n"
    "    json_extract_string(ob, '$.results[*].outputText'), json_extract_string(ob, '$.outputs[*].text'),\n"
    "    json_extract_string(ob, '$.generations[*].text'), json_extract_string(ob, '$.completions[*].data.text'),\n"
    "    json_extract_string(ob, '$.choices[*].message.content'), json_extract_string(ob, '$.choices[*].text')]))\n"
    "    AS response\n"
    "FROM b;\n";

/* Athena / Trino: the CloudTrail table AWS documents (partition projection
 * over the standard layout) and the invocation-log table, each record kept
 * whole as `doc` (JSON text) so that every rule field is reachable. */
static const char trino_tables[] =
    "-- Tables (Athena DDL; for Trino use the Hive connector with the same columns).\n"
    "-- Replace s3://BUCKET/AWSLogs/ACCOUNT with the export location.\n"
    "-- CREATE EXTERNAL TABLE lt_cloudtrail_raw (doc string)\n"
    "--   PARTITIONED BY (region string, day string)\n"
    "--   ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
    "--   LOCATION 's3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/'\n"
    "--   TBLPROPERTIES ('projection.enabled'='true', 'projection.day.type'='date',\n"
    "--     'projection.day.format'='yyyy/MM/dd', 'projection.day.range'='2024/01/01,NOW',\n"
    "--     'projection.region.type'='enum', 'projection.region.values'='us-east-1,us-west-2',\n"
    "--     'storage.location.template'='s3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/${region}/${day}');\n"
    "-- (see docs/scale-out.md for the invocation-log table and the lt_cloudtrail / lt_invocation views)\n"
    "-- lt_vals(doc, path): the values of a field as ARRAY(VARCHAR), arrays expanded.\n";

static const char spark_tables[] =
    "-- Tables: lt_cloudtrail and lt_invocation with columns doc (JSON string), uid, event_time,\n"
    "-- request_id, principal, source_ip (+ prompt, system, response for invocations); see\n"
    "-- docs/scale-out.md. lt_vals(doc, path) is a SQL UDF returning array<string>.\n";

static lt_status write_header(const sigma_sql *q, buf *out)
{
	lt_status st = buf_printf(out,
	                          "-- llmtrail sql --dialect %s: %zu rules compiled, %zu not expressible.\n"
	                          "-- Result shape of every rule: rule_id, rule_title, level, event_time, uid,\n"
	                          "-- request_id, principal, source_ip, group_key, detail.\n",
	                          dialects[q->d].name, q->nrules, q->nskips);
	if (st == LT_OK && q->nskips > 0)
		st = buf_puts(out, "--\n-- Not expressible (rule: reason):\n");
	for (size_t i = 0; i < q->nskips && st == LT_OK; i++) {
		/* comments end at a newline: keep the text on one line */
		st = buf_puts(out, "--   ");
		for (const char *p = q->skips[i].rule; *p && st == LT_OK; p++)
			st = buf_putc(out, *p == '\n' || *p == '\r' ? ' ' : *p);
		if (st == LT_OK)
			st = buf_puts(out, ": ");
		for (const char *p = q->skips[i].reason; *p && st == LT_OK; p++)
			st = buf_putc(out, *p == '\n' || *p == '\r' ? ' ' : *p);
		if (st == LT_OK)
			st = buf_putc(out, '\n');
	}
	return st;
}

static lt_status write_tables(const sigma_sql *q, const char *evidence, buf *out)
{
	if (q->d != SIGMA_SQL_DUCKDB)
		return buf_puts(out, q->d == SIGMA_SQL_SPARK ? spark_tables : trino_tables);
	const dialect_ops *ops = &dialects[q->d];
	buf g1, g2;
	buf_init(&g1, SIGMA_SQL_MAX_SCRIPT);
	buf_init(&g2, SIGMA_SQL_MAX_SCRIPT);
	const char *ev = evidence ? evidence : ".";
	lt_status st = buf_printf(&g1, "%s/**/*.json*", ev);
	if (st == LT_OK)
		st = buf_printf(&g2, "%s/**/*.json*", ev);
	char *l1 = st == LT_OK ? sql_lit(ops, g1.data, g1.len) : NULL;
	char *l2 = st == LT_OK ? sql_lit(ops, g2.data, g2.len) : NULL;
	const char *args[2] = {l1, l2};
	st = l1 && l2 ? put_tpl(out, duckdb_views, args, 2) : LT_EFATAL;
	free(l1);
	free(l2);
	buf_free(&g1);
	buf_free(&g2);
	return st;
}

static lt_status put_lit(const sigma_sql *q, buf *out, const char *s)
{
	char *l = sql_lit(&dialects[q->d], s, strlen(s));
	lt_status st = l ? buf_puts(out, l) : LT_EFATAL;
	free(l);
	return st;
}

static lt_status write_rule(const sigma_sql *q, size_t i, buf *out)
{
	const sql_rule *r = &q->rules[i];
	lt_status st = buf_printf(out, "\n-- %zu\nCREATE OR REPLACE VIEW lt_rule_%zu AS\nSELECT ", i + 1, i + 1);
	if (st == LT_OK)
		st = put_lit(q, out, r->id);
	if (st == LT_OK)
		st = buf_puts(out, " AS rule_id, ");
	if (st == LT_OK)
		st = put_lit(q, out, r->title);
	if (st == LT_OK)
		st = buf_puts(out, " AS rule_title, ");
	if (st == LT_OK)
		st = put_lit(q, out, r->level);
	const char *t = dialects[q->d].text_type;
	if (st == LT_OK)
		st = buf_printf(out,
		                " AS level, event_time, uid, request_id, principal, source_ip,\n"
		                "  CAST(NULL AS %s) AS group_key, CAST(NULL AS %s) AS detail\n"
		                "FROM %s\nWHERE %s;\n",
		                t, t, r->src == EV_SRC_INVOCATION ? "lt_invocation" : "lt_cloudtrail", r->where);
	return st;
}

lt_status sigma_sql_write(const sigma_sql *q, const char *evidence, buf *out)
{
	lt_status st = write_header(q, out);
	if (st == LT_OK)
		st = write_tables(q, evidence, out);
	for (size_t i = 0; i < q->nrules && st == LT_OK; i++)
		st = write_rule(q, i, out);
	if (st == LT_OK)
		st = buf_puts(out, "\n-- All result rows.\n");
	for (size_t i = 0; i < q->nrules && st == LT_OK; i++)
		st = buf_printf(out, "%sSELECT * FROM lt_rule_%zu\n", i ? "UNION ALL " : "", i + 1);
	static const char *const cols[] = {"rule_id", "rule_title", "level", "event_time", "uid",
	                                   "request_id", "principal", "source_ip", "group_key", "detail"};
	for (size_t i = 0; q->nrules == 0 && i < sizeof cols / sizeof cols[0] && st == LT_OK; i++)
		st = buf_printf(out, "%sCAST(NULL AS %s) AS %s", i ? ", " : "SELECT ", dialects[q->d].text_type,
		                cols[i]);
	if (st == LT_OK && q->nrules == 0)
		st = buf_puts(out, " WHERE FALSE\n");
	if (st == LT_OK)
		st = buf_puts(out, "ORDER BY event_time, rule_id, uid;\n");
	return st;
}
